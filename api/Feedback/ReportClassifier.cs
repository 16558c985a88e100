using System.Text.RegularExpressions;
using MimeKit;

namespace EmailApi.Feedback;

/// <summary>
/// Decides what an inbound report is. Pure: no I/O, no clock, the same answer for the same bytes,
/// so it is covered by a table of real-shaped samples. Anything it cannot read with confidence is
/// <see cref="FeedbackReport.Unrecognised"/>: a report that is misread would suppress a good address.
/// </summary>
/// <remarks>
/// Order matters: a mail to <c>unsub+</c> is an unsubscribe whatever its body; a
/// <c>multipart/report</c> says what it is (RFC 6522); a plain-text bounce is tried before the
/// auto-reply test because Postfix and Exim mark their bounces <c>Auto-Submitted: auto-replied</c> too.
/// </remarks>
public static partial class ReportClassifier
{
    private const int MaxTextChars = 64 * 1024;

    public static FeedbackReport Classify(MimeMessage message, string envelopeRecipientLocalPart)
    {
        if (VerpCodec.TokenOf(envelopeRecipientLocalPart, VerpCodec.UnsubscribePrefix) is { } unsubscribe)
            return new FeedbackReport.Unsubscribe(unsubscribe);

        if (message.BodyParts.OfType<MessageDeliveryStatus>().FirstOrDefault() is { } status)
            return FromDeliveryStatus(status);
        if (message.BodyParts.OfType<MessageFeedbackReport>().FirstOrDefault() is { } feedback)
            return FromFeedbackReport(feedback, message);

        if (PlainBounce(message) is { } plain) return plain;

        if (AutoReplyIndicator(message) is { } indicator) return new FeedbackReport.AutoReply(indicator);
        return new FeedbackReport.Unrecognised(message.Body is null ? "no body" : "no delivery status, feedback report or SMTP reply found");
    }

    /// <summary>RFC 3463 §3: the status class (2, 4, 5) and subject decide; unknown 5.x.x is soft (unknown means temporary).</summary>
    public static BounceKind KindOf(string action, string status)
    {
        switch (action)
        {
            case "delayed": return BounceKind.Delayed;
            case "delivered" or "relayed" or "expanded": return BounceKind.Informational;
        }
        var parts = status.Split('.');
        if (parts.Length != 3 || parts[0] != "5") return BounceKind.Soft;
        return (parts[1], parts[2]) switch
        {
            ("1", _) => BounceKind.Hard,          // X.1.x: addressing (bad mailbox, bad domain)
            ("2", "1") => BounceKind.Hard,        // X.2.1: mailbox disabled
            ("4", "4") => BounceKind.Hard,        // X.4.4: unable to route (the domain has no mail host)
            ("7", _) => BounceKind.Policy,        // X.7.x: security or policy, about the sender
            _ => BounceKind.Soft,                 // X.2.2 mailbox full, X.3.x system, X.4.x network, …
        };
    }

    private static FeedbackReport FromDeliveryStatus(MessageDeliveryStatus part)
    {
        var groups = part.StatusGroups;
        if (groups.Count == 0) return new FeedbackReport.Unrecognised("delivery-status part without fields");
        var reportingMta = TypedValue(groups[0]["Reporting-MTA"]);
        var recipients = new List<ReportedRecipient>();
        // RFC 3464 §2.1: the first group is per message, each following one is per recipient.
        foreach (var group in groups.Skip(1))
        {
            var recipient = TypedValue(group["Final-Recipient"]) ?? TypedValue(group["Original-Recipient"]);
            var action = group["Action"]?.Trim().ToLowerInvariant();
            var code = EnhancedStatus().Match(group["Status"] ?? "");
            if (action is null || !code.Success) continue;
            var diagnostic = TypedValue(group["Diagnostic-Code"]);
            var status = Refined(code.Value, diagnostic);
            recipients.Add(new ReportedRecipient(recipient, action, status, diagnostic, TypedValue(group["Remote-MTA"]), KindOf(action, status)));
        }
        return recipients.Count == 0
            ? new FeedbackReport.Unrecognised("delivery-status part without a recipient group with Action and Status")
            : new FeedbackReport.Dsn(reportingMta, recipients);
    }

    /// <summary>
    /// Exim writes <c>Status: 5.0.0</c> and puts the receiver's own <c>550 5.2.1</c> in Diagnostic-Code:
    /// an X.0.0 status says nothing, so the diagnostic's enhanced status of the same class is used instead.
    /// </summary>
    private static string Refined(string status, string? diagnostic)
    {
        if (!status.EndsWith(".0.0", StringComparison.Ordinal) || diagnostic is null) return status;
        var inDiagnostic = EnhancedStatus().Match(diagnostic);
        return inDiagnostic.Success && inDiagnostic.Value[0] == status[0] ? inDiagnostic.Value : status;
    }

    private static FeedbackReport FromFeedbackReport(MessageFeedbackReport report, MimeMessage message)
    {
        var fields = report.Fields;
        var type = fields["Feedback-Type"]?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(type)) return new FeedbackReport.Unrecognised("feedback-report part without Feedback-Type");
        // RFC 5965 §3.2: Original-Rcpt-To is optional and often redacted; the token names the recipient anyway.
        var recipient = fields["Original-Rcpt-To"]?.Trim().Trim('<', '>');
        var provider = TypedValue(fields["Reporting-MTA"]) ?? message.From.Mailboxes.FirstOrDefault()?.Domain;
        return new FeedbackReport.Complaint(string.IsNullOrEmpty(recipient) ? null : recipient, type, provider, fields["User-Agent"]?.Trim());
    }

    private static FeedbackReport.PlainBounce? PlainBounce(MimeMessage message)
    {
        var text = message.TextBody;
        if (string.IsNullOrEmpty(text)) return null;
        if (text.Length > MaxTextChars) text = text[..MaxTextChars];
        // A reply with an enhanced status is the surest sign ("550 5.1.1 <a@b>: User unknown"); a
        // bare enhanced status next ("Status: 5.2.2"); a bare reply code alone is not enough: any
        // text can hold a three-digit number.
        var reply = SmtpReply().Match(text);
        string code, diagnostic;
        if (reply.Success)
        {
            code = reply.Groups["status"].Value;
            diagnostic = reply.Value.Trim();
        }
        else if (EnhancedStatusInText().Match(text) is { Success: true } bare)
        {
            code = bare.Groups["status"].Value;
            diagnostic = bare.Value.Trim();
        }
        else return null;
        var action = code.StartsWith('4') ? "delayed" : "failed";
        var recipient = Address().Match(diagnostic) is { Success: true } inReply ? inReply.Value : null;
        return new FeedbackReport.PlainBounce(new ReportedRecipient(recipient, action, code, diagnostic, null, KindOf(action, code)));
    }

    private static string? AutoReplyIndicator(MimeMessage message)
    {
        // RFC 3834 §5: any value but "no" marks an automatic message.
        if (message.Headers["Auto-Submitted"]?.Trim() is { Length: > 0 } submitted && !submitted.Equals("no", StringComparison.OrdinalIgnoreCase))
            return $"Auto-Submitted: {submitted}";
        // What Exchange and older vacation programs send instead.
        foreach (var header in new[] { "X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress" })
            if (message.Headers.Contains(header)) return header;
        if (message.Headers["Precedence"]?.Trim().ToLowerInvariant() is "auto_reply") return "Precedence: auto_reply";
        return null;
    }

    /// <summary>The value of an RFC 3464 typed field (<c>rfc822; a@b</c>, <c>dns; mx.example</c>, <c>smtp; 550 …</c>) without its type.</summary>
    private static string? TypedValue(string? field)
    {
        if (string.IsNullOrWhiteSpace(field)) return null;
        var semicolon = field.IndexOf(';');
        var value = (semicolon >= 0 ? field[(semicolon + 1)..] : field).Trim();
        return value.Length == 0 ? null : Regex.Replace(value, @"\s+", " ");
    }

    [GeneratedRegex(@"\b[245]\.\d{1,3}\.\d{1,3}\b")]
    private static partial Regex EnhancedStatus();

    [GeneratedRegex(@"\b(?<code>[45]\d\d)[ -](?<status>[45]\.\d{1,3}\.\d{1,3})\b[^\r\n]*")]
    private static partial Regex SmtpReply();

    [GeneratedRegex(@"(?im)^\s*(?:status|diagnostic[^:]*):\s*(?:smtp;\s*)?(?<status>[45]\.\d{1,3}\.\d{1,3})\b[^\r\n]*")]
    private static partial Regex EnhancedStatusInText();

    [GeneratedRegex(@"[^\s<>:""]+@[^\s<>:"";,]+\.[A-Za-z0-9-]+")]
    private static partial Regex Address();
}
