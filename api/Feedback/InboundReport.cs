namespace EmailApi.Feedback;

/// <summary>One report as the inbound listener took it, for one envelope recipient (a DSN to two return paths is two reports).</summary>
public sealed record InboundReport(string Id, DateTimeOffset ReceivedAt, string Remote, string MailFrom, string RcptTo, byte[] Raw);

/// <summary>What processing a report found and did.</summary>
/// <param name="TokenCheck"><c>valid</c>, <c>forged</c>, <c>malformed</c>, <c>unknown-recipient</c> (valid, but the recipient row is gone),
/// <c>other-account</c> (valid, but sent to another account's return-path domain) or <c>none</c>.</param>
/// <param name="Effect">What the suppression list got: <c>suppressed</c>, <c>already-suppressed</c>, <c>soft-bounce</c> (counted, not yet suppressed), <c>recorded</c> (nothing to suppress) or <c>none</c>.</param>
/// <param name="RecipientStatus">The status the report gave the recipient (<c>bounced</c>, <c>complained</c>), or null when it changed none.</param>
/// <param name="Detail">The classification's fields as JSON (status, diagnostic, reporting MTA, feedback type, …).</param>
public sealed record ReportResult(string Classification, string TokenCheck, string? AccountId, string? MessageId, long? RecipientId, string Effect, string Detail, string? Recipient = null,
    string? RecipientStatus = null);

/// <summary>A processed or pending report as <c>GET /v1/inbound</c> and the message detail show it.</summary>
public sealed record InboundReportView(
    string Id, DateTimeOffset ReceivedAt, string Remote, string MailFrom, string RcptTo, string State,
    string? Classification, string? TokenCheck, string? AccountId, string? MessageId, long? RecipientId, string? Effect, string? Detail, DateTimeOffset? ProcessedAt, string? Recipient = null, string? RecipientStatus = null);
