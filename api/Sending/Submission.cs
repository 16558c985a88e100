using EmailApi.Queue;

namespace EmailApi.Sending;

/// <summary>
/// What either door (HTTP or SMTP) hands over: the envelope, the raw MIME and what the log shows;
/// <paramref name="SendAt"/> holds delivery back until then (scheduled send).
/// </summary>
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
    IReadOnlyDictionary<string, string>? Metadata,
    DateTimeOffset? SendAt = null);

/// <summary>The answer to a submission. Each door maps it to its own words (HTTP status, SMTP reply).</summary>
public abstract record Submitted
{
    private Submitted() { }

    /// <summary>Durable: the message and its recipients are committed.</summary>
    public sealed record Accepted(MessageId Id, IReadOnlyList<string> Recipients) : Submitted;

    /// <summary>
    /// Refused; the reason can be shown to the client. Refused for good, except
    /// <see cref="RejectionKind.QuotaExceeded"/> and <see cref="RejectionKind.RateLimited"/>, which
    /// pass once <see cref="ExceededLimit.ResetsAt"/> has come (HTTP 429, SMTP 4.7.1 / 4.7.0).
    /// </summary>
    public sealed record Rejected(RejectionKind Kind, string PublicReason, ExceededLimit? Limit = null) : Submitted;

    /// <summary>Our own trouble (database, shutdown): the client should retry later.</summary>
    public sealed record Unavailable(string PublicReason) : Submitted;
}

public enum RejectionKind
{
    TooLarge,
    NoRecipients,
    TooManyRecipients,

    /// <summary>The account's monthly quota has no room for these recipients (HTTP 429, SMTP 451 4.7.1).</summary>
    QuotaExceeded,

    /// <summary>The account's per-minute or per-hour rate has no room for these recipients (HTTP 429, SMTP 451 4.7.0).</summary>
    RateLimited,

    /// <summary>The From or envelope sender is outside the account's sender domains (HTTP 403, SMTP 550 5.7.1).</summary>
    SenderDomainNotAllowed,

    /// <summary>The From domain is not a verified domain of the account (<c>Domains:RequireVerified</c>; HTTP 403, SMTP 550 5.7.1).</summary>
    DomainNotVerified,

    /// <summary>The account is disabled (HTTP 403, SMTP 550 5.7.1 / AUTH refused).</summary>
    AccountDisabled,

    /// <summary>
    /// The message carries <c>Delivery:MaxHops</c> Received fields or more: it is looping (HTTP 422,
    /// SMTP 554 5.4.6). Refused for good, like Postfix's "too many hops": sending it again cannot help.
    /// </summary>
    MailLoop,
}
