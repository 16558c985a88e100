namespace EmailApi.Queue;

/// <summary>The outcome of one delivery attempt for one recipient, as the queue records it.</summary>
public sealed record RecipientResult(
    long RecipientId,
    MessageId MessageId,
    RecipientStatus Status,
    string Response,
    string? Mx,
    DateTimeOffset? NextAttemptAt,
    bool Suppress = false);
