using System.Globalization;
using System.Text;
using EmailApi.Queue;
using MimeKit;
using MimeKit.Utils;

namespace EmailApi.Mail;

/// <summary>
/// Builds the delivery status notification (RFC 3464) that tells an envelope sender which
/// recipients could not be delivered: multipart/report with a human-readable part, a
/// message/delivery-status part with one group per recipient, and the original headers
/// (text/rfc822-headers). It is sent from the null sender <c>&lt;&gt;</c> (RFC 5321 §4.5.5), so a
/// bounce of it can never produce another one.
/// </summary>
public static class BounceNotification
{
    public sealed record FailedRecipient(string Address, SmtpReply Reply, string? Mx, bool Permanent);

    public static NewMessage Create(QueuedMessage original, IReadOnlyList<FailedRecipient> recipients, string reportingMta, TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        var id = MessageId.New(clock);
        var headers = OriginalHeaders(original.Raw);

        using var message = new MimeMessage();   // disposed: MimeKit's entities have finalizers
        message.From.Add(new MailboxAddress("Mail Delivery System", $"MAILER-DAEMON@{reportingMta}"));
        message.To.Add(MailboxAddress.Parse(original.EnvelopeFrom));
        message.Subject = "Undelivered Mail Returned to Sender";
        message.Date = now;
        message.MessageId = $"{id}@{reportingMta}";
        message.Headers.Add("Auto-Submitted", "auto-replied");   // RFC 3834: no automatic replies to this
        if (headers.FirstOrDefault(h => h.Id == HeaderId.MessageId) is { } originalId)
        {
            message.InReplyTo = originalId.Value.Trim();
            message.References.Add(originalId.Value.Trim().Trim('<', '>'));
        }

        var report = new MultipartReport("delivery-status");
        report.Add(new TextPart("plain") { Text = HumanText(original, recipients, reportingMta, headers) });
        report.Add(DeliveryStatus(original, recipients, reportingMta, now));
        report.Add(HeaderPart(original.Raw));
        message.Body = report;
        message.Prepare(EncodingConstraint.SevenBit);

        using var output = new MemoryStream();
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        message.WriteTo(format, output);

        return new NewMessage(id, original.AccountId, MessageSource.Dsn, EnvelopeFrom: "", [original.EnvelopeFrom], output.ToArray(),
            message.From.ToString(), message.Subject, ["bounce"], new Dictionary<string, string> { ["originalMessageId"] = original.Id.ToString() }, now);
    }

    /// <summary>Whether a bounce of this message should be reported to its envelope sender.</summary>
    public static bool Wanted(QueuedMessage message, bool forApiMessages) => Wanted(message.Source, message.EnvelopeFrom, forApiMessages);

    /// <summary>
    /// The same rule by the message's source and envelope sender: always for SMTP submissions (their
    /// software expects bounces at its MAIL FROM), for HTTP ones when <paramref name="forApiMessages"/>
    /// (<c>Delivery:DsnForApi</c>), never for a null sender or our own notifications. It holds for a
    /// bounce at delivery time and for one reported later alike.
    /// </summary>
    public static bool Wanted(MessageSource source, string envelopeFrom, bool forApiMessages) =>
        envelopeFrom.Length > 0 && source switch
        {
            MessageSource.Smtp => true,
            MessageSource.Api => forApiMessages,
            _ => false,   // never a notification about a notification
        };

    private static MessageDeliveryStatus DeliveryStatus(QueuedMessage original, IReadOnlyList<FailedRecipient> recipients, string reportingMta, DateTimeOffset now)
    {
        var status = new MessageDeliveryStatus();
        var perMessage = new HeaderList
        {
            { "Reporting-MTA", $"dns; {reportingMta}" },
            { "X-EmailApi-Queue-ID", original.Id.ToString() },
            { "Arrival-Date", DateUtils.FormatDate(original.CreatedAt) },
        };
        status.StatusGroups.Add(perMessage);
        foreach (var r in recipients)
        {
            var group = new HeaderList
            {
                { "Final-Recipient", $"rfc822; {r.Address}" },
                { "Action", "failed" },
                { "Status", "5" + r.Reply.Status[1..] },
            };
            if (r.Mx is not null) group.Add("Remote-MTA", $"dns; {r.Mx}");
            // RFC 3464 §2.3.6: the diagnostic is the remote server's own reply; our verdicts without one go apart.
            if (r.Reply.Code is not null) group.Add("Diagnostic-Code", $"smtp; {r.Reply}");
            else group.Add("X-Reason", r.Reply.ToString());
            group.Add("Last-Attempt-Date", DateUtils.FormatDate(now));
            status.StatusGroups.Add(group);
        }
        return status;
    }

    private static string HumanText(QueuedMessage original, IReadOnlyList<FailedRecipient> recipients, string reportingMta, HeaderList headers)
    {
        var text = new StringBuilder();
        text.AppendLine($"This is the mail system at {reportingMta}.");
        text.AppendLine();
        text.AppendLine("Your message could not be delivered to one or more recipients. It is attached below.");
        text.AppendLine();
        foreach (var r in recipients)
            text.AppendLine(CultureInfo.InvariantCulture, $"<{r.Address}>{(r.Mx is null ? "" : $" (host {r.Mx})")}: {r.Reply}");
        text.AppendLine();
        if (headers[HeaderId.Subject] is { } subject) text.AppendLine($"Subject of the original message: {subject}");
        text.AppendLine($"Queue id: {original.Id}");
        return text.ToString();
    }

    /// <summary>The original header block, byte for byte (RFC 3462 text/rfc822-headers).</summary>
    private static MimePart HeaderPart(byte[] raw)
    {
        var end = raw.AsSpan().IndexOf("\r\n\r\n"u8);
        var length = end < 0 ? raw.Length : end + 2;
        return new MimePart("text", "rfc822-headers")
        {
            Content = new MimeContent(new MemoryStream(raw, 0, length, writable: false)),
            ContentTransferEncoding = ContentEncoding.SevenBit,
        };
    }

    private static HeaderList OriginalHeaders(byte[] raw)
    {
        try
        {
            using var stream = new MemoryStream(raw, writable: false);
            return HeaderList.Load(stream);
        }
        catch (FormatException)
        {
            return [];
        }
    }
}
