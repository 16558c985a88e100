namespace EmailApi.Events;

/// <summary>
/// One event due at one endpoint, with what its JSON is made of: a message's event (<see cref="MessageId"/>,
/// recipient, source...) or, when <see cref="Domain"/> is set, a sending domain's (<c>domain.verified</c>,
/// <c>domain.failed</c>), whose <see cref="MessageId"/> is empty. <see cref="Report"/> is set on a message event an
/// inbound report caused (an asynchronous bounce, a complaint): the report's facts as a JSON object.
/// </summary>
public sealed record WebhookDelivery(
    long Id,
    string WebhookId,
    string Url,
    string Secret,
    int Attempts,
    long EventId,
    string Type,
    string MessageId,
    string? Recipient,
    string? Detail,
    string? Mx,
    DateTimeOffset At,
    string? Source,
    string? Tags,
    string? Metadata,
    string? DomainId = null,
    string? Domain = null,
    string? Report = null,
    int? ReplyCode = null,
    string? EnhancedStatus = null);
