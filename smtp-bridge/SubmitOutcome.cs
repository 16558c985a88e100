namespace EmailApi.SmtpBridge;

/// <summary>The answer to a submission; the bridge turns each case into one SMTP reply.</summary>
public abstract record SubmitOutcome
{
    private SubmitOutcome() { }

    /// <summary>Committed: 250 2.0.0.</summary>
    public sealed record Queued(string MessageId) : SubmitOutcome;

    /// <summary>Refused for good (5xx); the reason is shown to the client.</summary>
    public sealed record Rejected(RejectReason Reason, string PublicReason) : SubmitOutcome;

    /// <summary>Refused for now by a quota or rate limit (451 4.7.1); the reason is shown to the client.</summary>
    public sealed record Limited(string PublicReason) : SubmitOutcome;

    /// <summary>The server's own trouble (database, disk, shutdown): always 451 4.3.0.</summary>
    public sealed record Unavailable(string PublicReason) : SubmitOutcome;
}
