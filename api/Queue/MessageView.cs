namespace EmailApi.Queue;

public sealed record MessageView(
    MessageId Id,
    MessageSource Source,
    string EnvelopeFrom,
    string? HeaderFrom,
    string? Subject,
    IReadOnlyList<string> Tags,
    IReadOnlyDictionary<string, string>? Metadata,
    long Size,
    DateTimeOffset CreatedAt,
    IReadOnlyList<RecipientView> Recipients,
    IReadOnlyList<EventView> Events);

public sealed record RecipientView(string Email, RecipientStatus Status, int Attempts, string? LastResponse, int? LastReplyCode, string? LastEnhancedStatus, DateTimeOffset? NextAttemptAt, DateTimeOffset UpdatedAt);

public sealed record EventView(string Type, string? Recipient, string? Detail, int? ReplyCode, string? EnhancedStatus, string? Mx, DateTimeOffset At);
