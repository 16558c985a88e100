namespace EmailApi.Feedback;

/// <summary>One recipient of a bounce report (an RFC 3464 per-recipient group, or what a plain-text bounce names).</summary>
/// <param name="Recipient">Final-Recipient (or Original-Recipient) address; null when a plain-text bounce names none.</param>
/// <param name="Action">RFC 3464 §2.3.3 action (<c>failed</c>, <c>delayed</c>, …), lower case.</param>
/// <param name="Status">RFC 3463 enhanced status, e.g. <c>5.1.1</c>.</param>
/// <param name="Diagnostic">Diagnostic-Code without its type, or the SMTP reply found in the text.</param>
public sealed record ReportedRecipient(string? Recipient, string Action, string Status, string? Diagnostic, string? RemoteMta, BounceKind Kind);
