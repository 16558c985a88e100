using System.Globalization;
using EmailApi.Mail;
using EmailApi.Queue;

namespace EmailApi.Feedback;

/// <summary>
/// The bounce notification (RFC 3464) for a recipient that a remote system accepted and bounced
/// later: the same notification as for a bounce at delivery time (<see cref="BounceNotification"/>,
/// from the null sender, reporting MTA this relay), whose recipient group carries what the remote
/// report said: its status, its diagnostic as the reply, and its remote MTA. Without our return path
/// that report would have reached the envelope sender itself, as it does behind Postfix.
/// </summary>
public static class LateBounceNotification
{
    public static NewMessage Create(QueuedMessage original, string address, ReportedRecipient reported, string reportingMta, TimeProvider clock) =>
        BounceNotification.Create(original, [new BounceNotification.FailedRecipient(address, Reply(reported), reported.RemoteMta, Permanent: true)], reportingMta, clock);

    /// <summary>
    /// The remote report's verdict as a reply: its diagnostic when that is an SMTP reply
    /// (<c>550 5.1.1 …</c>, RFC 3464 §2.3.6 type <c>smtp</c>), given the report's status when the reply
    /// has none of its own; otherwise the report's status with the diagnostic as text, which the
    /// notification keeps apart from a server's reply.
    /// </summary>
    public static SmtpReply Reply(ReportedRecipient reported)
    {
        var diagnostic = reported.Diagnostic ?? "";
        if (diagnostic.Length >= 3 && (diagnostic.Length == 3 || diagnostic[3] is ' ' or '-')
            && int.TryParse(diagnostic.AsSpan(0, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code is >= 400 and < 600)
        {
            var reply = SmtpReply.FromServer(code, diagnostic.Length > 4 ? diagnostic[4..] : "");
            // RFC 3463 §2: a status must agree with the reply code's class.
            return reply.EnhancedStatus is null && reported.Status[0] - '0' == code / 100 ? reply with { EnhancedStatus = reported.Status } : reply;
        }
        return SmtpReply.Local(reported.Status, diagnostic.Length > 0 ? diagnostic : "The receiving system reported the message undeliverable");
    }
}
