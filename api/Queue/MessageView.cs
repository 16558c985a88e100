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

/// <param name="Async">The status was set by an inbound report after our delivery (a bounce or complaint that came back later).</param>
public sealed record RecipientView(string Email, RecipientStatus Status, int Attempts, string? LastResponse, int? LastReplyCode, string? LastEnhancedStatus,
    DateTimeOffset? NextAttemptAt, DateTimeOffset UpdatedAt, bool Async = false);

/// <param name="Report">For an event an inbound report caused: the report's facts as a JSON object.</param>
public sealed record EventView(string Type, string? Recipient, string? Detail, int? ReplyCode, string? EnhancedStatus, string? Mx, DateTimeOffset At, string? Report = null);
