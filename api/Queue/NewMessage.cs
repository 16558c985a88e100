namespace EmailApi.Queue;

/// <summary>
/// A complete message ready to be made durable: envelope, raw MIME and what the log shows.
/// <paramref name="Limits"/> are the account's limits the enqueue counts the recipients against
/// (null: not counted, e.g. bounce notifications); <paramref name="SendAt"/> holds delivery back until then.
/// </summary>
public sealed record NewMessage(
    MessageId Id,
    string AccountId,
    MessageSource Source,
    string EnvelopeFrom,
    IReadOnlyList<string> Recipients,
    byte[] Raw,
    string? HeaderFrom,
    string? Subject,
    IReadOnlyList<string> Tags,
    IReadOnlyDictionary<string, string>? Metadata,
    DateTimeOffset CreatedAt,
    SendLimits? Limits = null,
    DateTimeOffset? SendAt = null);
