namespace EmailApi.Feedback;

/// <summary>What an inbound report is, as decided by <see cref="ReportClassifier"/>: a closed set.</summary>
public abstract record FeedbackReport
{
    private FeedbackReport() { }

    public abstract string Classification { get; }

    /// <summary>An RFC 3464 delivery status notification (<c>multipart/report; report-type=delivery-status</c>).</summary>
    public sealed record Dsn(string? ReportingMta, IReadOnlyList<ReportedRecipient> Recipients) : FeedbackReport
    {
        public override string Classification => "dsn";
    }

    /// <summary>A bounce from an MTA that does not speak RFC 3464, recognised by the SMTP reply or enhanced status in its text.</summary>
    public sealed record PlainBounce(ReportedRecipient Recipient) : FeedbackReport
    {
        public override string Classification => "plain-bounce";
    }

    /// <summary>An RFC 5965 (ARF) complaint from a feedback loop.</summary>
    /// <param name="FeedbackType">RFC 5965 §3.5 Feedback-Type: <c>abuse</c>, <c>fraud</c>, <c>virus</c>, <c>other</c>, …</param>
    /// <param name="Provider">Reporting-MTA, else the domain the report came From.</param>
    public sealed record Complaint(string? Recipient, string FeedbackType, string? Provider, string? UserAgent) : FeedbackReport
    {
        public override string Classification => "complaint";
    }

    /// <summary>An RFC 3834 automatic reply (vacation, out of office): recorded, no action.</summary>
    public sealed record AutoReply(string Indicator) : FeedbackReport
    {
        public override string Classification => "auto-reply";
    }

    /// <summary>A mail to <c>unsub+TOKEN@…</c> (the RFC 2369 <c>mailto:</c> List-Unsubscribe).</summary>
    public sealed record Unsubscribe(string Token) : FeedbackReport
    {
        public override string Classification => "unsubscribe";
    }

    /// <summary>Nothing recognisable: kept for inspection, never guessed at.</summary>
    public sealed record Unrecognised(string Reason) : FeedbackReport
    {
        public override string Classification => "unrecognised";
    }
}
