namespace EmailApi.Events;

/// <summary>One event due at one endpoint, with what its JSON is made of.</summary>
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
    string Source,
    string? Tags,
    string? Metadata);
