namespace EmailApi.SmtpBridge;

/// <summary>The answer to a submission; the bridge turns each case into one SMTP reply.</summary>
public abstract record SubmitOutcome
{
    private SubmitOutcome() { }

    /// <summary>Committed: 250 2.0.0.</summary>
    public sealed record Queued(string MessageId) : SubmitOutcome;

    /// <summary>Refused for good (5xx); the reason is shown to the client.</summary>
    public sealed record Rejected(RejectReason Reason, string PublicReason) : SubmitOutcome;

    /// <summary>The account's quota has no room now (451 4.7.1); the reason is shown to the client, who retries later.</summary>
    public sealed record QuotaExceeded(string PublicReason) : SubmitOutcome;

    /// <summary>The account's sending rate has no room now (451 4.7.0); the reason is shown to the client, who retries later.</summary>
    public sealed record RateLimited(string PublicReason) : SubmitOutcome;

    /// <summary>The server's own trouble (database, disk, shutdown): always 451 4.3.0.</summary>
    public sealed record Unavailable(string PublicReason) : SubmitOutcome;
}
