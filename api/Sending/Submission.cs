using EmailApi.Queue;

namespace EmailApi.Sending;

/// <summary>What either door (HTTP or SMTP) hands over: the envelope, the raw MIME and what the log shows.</summary>
public sealed record Submission(
    MessageId Id,
    string AccountId,
    MessageSource Source,
    string EnvelopeFrom,
    IReadOnlyList<string> Recipients,
    byte[] Raw,
    string? HeaderFrom,
    string? Subject,
    IReadOnlyList<string> Tags,
    IReadOnlyDictionary<string, string>? Metadata);

/// <summary>The answer to a submission. Each door maps it to its own words (HTTP status, SMTP reply).</summary>
public abstract record Submitted
{
    private Submitted() { }

    /// <summary>Durable: the message and its recipients are committed.</summary>
    public sealed record Accepted(MessageId Id, IReadOnlyList<string> Recipients) : Submitted;

    /// <summary>Refused for good; the reason can be shown to the client.</summary>
    public sealed record Rejected(RejectionKind Kind, string PublicReason) : Submitted;

    /// <summary>Our own trouble (database, shutdown): the client should retry later.</summary>
    public sealed record Unavailable(string PublicReason) : Submitted;
}

public enum RejectionKind
{
    TooLarge,
    NoRecipients,
    TooManyRecipients,
}
