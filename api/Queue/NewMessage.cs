namespace EmailApi.Queue;

/// <summary>A complete message ready to be made durable: envelope, raw MIME and what the log shows.</summary>
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
    DateTimeOffset CreatedAt);
