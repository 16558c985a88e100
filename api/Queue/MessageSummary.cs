namespace EmailApi.Queue;

/// <summary>One entry of the message log: the message and where each of its recipients stands.</summary>
public sealed record MessageSummary(
    MessageId Id,
    MessageSource Source,
    string EnvelopeFrom,
    string? HeaderFrom,
    string? Subject,
    IReadOnlyList<string> Tags,
    DateTimeOffset CreatedAt,
    DateTimeOffset? SendAt,
    IReadOnlyList<RecipientSummary> Recipients);

/// <param name="Async">The status was set by an inbound report after our delivery.</param>
public sealed record RecipientSummary(string Email, RecipientStatus Status, bool Async = false);
