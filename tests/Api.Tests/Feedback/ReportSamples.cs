using System.Text;
using MimeKit;

namespace EmailApi.Tests.Feedback;

/// <summary>
/// Reports shaped as real MTAs and feedback loops write them (field order, spelling and case as
/// Postfix 3, Exim 4, Exchange 2019/Microsoft 365, Gmail and an ARF feedback loop send them), each
/// parsed with MimeKit the way the inbound listener's bytes are.
/// </summary>
internal static class ReportSamples
{
    public static MimeMessage Load(string raw) =>
        MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(raw.ReplaceLineEndings("\r\n"))));

    public const string Postfix = """
        Return-Path: <>
        Date: Fri,  4 Dec 2026 22:10:03 +0000 (UTC)
        From: MAILER-DAEMON@relay.example.net (Mail Delivery System)
        Subject: Undelivered Mail Returned to Sender
        To: b+token@bounces.example.com
        Auto-Submitted: auto-replied
        MIME-Version: 1.0
        Content-Type: multipart/report; report-type=delivery-status;
        	boundary="8A0C21E0F3.1764886203/relay.example.net"
        Message-Id: <20261204221003.9B1E21E0F4@relay.example.net>

        This is a MIME-encapsulated message.

        --8A0C21E0F3.1764886203/relay.example.net
        Content-Description: Notification
        Content-Type: text/plain; charset=us-ascii

        This is the mail system at host relay.example.net.

        I'm sorry to have to inform you that your message could not
        be delivered to one or more recipients.

        <nobody@example.org>: host mx.example.org[127.0.0.9] said: 550 5.1.1
            <nobody@example.org>: Recipient address rejected: User unknown (in reply
            to RCPT TO command)

        --8A0C21E0F3.1764886203/relay.example.net
        Content-Description: Delivery report
        Content-Type: message/delivery-status

        Reporting-MTA: dns; relay.example.net
        X-Postfix-Queue-ID: 8A0C21E0F3
        X-Postfix-Sender: rfc822; b+token@bounces.example.com
        Arrival-Date: Fri,  4 Dec 2026 22:10:02 +0000 (UTC)

        Final-Recipient: rfc822; nobody@example.org
        Original-Recipient: rfc822;nobody@example.org
        Action: failed
        Status: 5.1.1
        Remote-MTA: dns; mx.example.org
        Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.org>: Recipient address
            rejected: User unknown

        --8A0C21E0F3.1764886203/relay.example.net
        Content-Description: Undelivered Message Headers
        Content-Type: text/rfc822-headers

        From: shop@example.com
        To: nobody@example.org
        Subject: Your order

        --8A0C21E0F3.1764886203/relay.example.net--
        """;

    public const string PostfixDelayed = """
        From: MAILER-DAEMON@relay.example.net (Mail Delivery System)
        Subject: Delayed Mail (still being retried)
        Auto-Submitted: auto-replied
        MIME-Version: 1.0
        Content-Type: multipart/report; report-type=delivery-status; boundary="B1"

        --B1
        Content-Type: text/plain

        This is the mail system at host relay.example.net.
        ####################################################################
        # THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #
        ####################################################################

        --B1
        Content-Type: message/delivery-status

        Reporting-MTA: dns; relay.example.net

        Final-Recipient: rfc822; slow@example.org
        Action: delayed
        Status: 4.4.1
        Diagnostic-Code: X-Postfix; connect to mx.example.org[127.0.0.9]:25: Connection
            refused
        Will-Retry-Until: Wed, 9 Dec 2026 22:10:02 +0000 (UTC)

        --B1--
        """;

    public const string Exim = """
        Return-path: <>
        From: Mail Delivery System <Mailer-Daemon@mx.exim.example>
        To: b+token@bounces.example.com
        Subject: Mail delivery failed: returning message to sender
        Auto-Submitted: auto-replied
        MIME-Version: 1.0
        Content-Type: multipart/report; report-type=delivery-status; boundary=1764886203-eximdsn-1804289383

        --1764886203-eximdsn-1804289383
        Content-type: text/plain; charset=us-ascii

        This message was created automatically by mail delivery software.

        A message that you sent could not be delivered to one or more of its
        recipients. This is a permanent error. The following address(es) failed:

          gone@example.org
            host mx.example.org [127.0.0.9]
            SMTP error from remote mail server after RCPT TO:<gone@example.org>:
            550 5.2.1 Mailbox disabled for this recipient

        --1764886203-eximdsn-1804289383
        Content-type: message/delivery-status

        Reporting-MTA: dns; mx.exim.example

        Action: failed
        Final-Recipient: rfc822;gone@example.org
        Status: 5.0.0
        Remote-MTA: dns; mx.example.org
        Diagnostic-Code: smtp; 550 5.2.1 Mailbox disabled for this recipient

        --1764886203-eximdsn-1804289383--
        """;

    public const string Exchange = """
        From: Microsoft Outlook <postmaster@contoso.onmicrosoft.com>
        To: <b+token@bounces.example.com>
        Subject: Undeliverable: Your order
        Content-Type: multipart/report; report-type=delivery-status;
        	boundary="e1c8a2b4-7c1d-4d6e-9a3b-3f2f4c5d6e7f"
        MIME-Version: 1.0
        Auto-Submitted: auto-replied

        --e1c8a2b4-7c1d-4d6e-9a3b-3f2f4c5d6e7f
        Content-Type: text/plain; charset="us-ascii"

        Delivery has failed to these recipients or groups:

        full@contoso.com
        The recipient's mailbox is full and can't accept messages now.

        --e1c8a2b4-7c1d-4d6e-9a3b-3f2f4c5d6e7f
        Content-Type: message/delivery-status

        Reporting-MTA: dns;BN8PR04MB6211.namprd04.prod.outlook.com
        Received-From-MTA: dns;relay.example.net
        Arrival-Date: Fri, 4 Dec 2026 22:10:02 +0000

        Original-Recipient: rfc822;full@contoso.com
        Final-Recipient: rfc822;full@contoso.com
        Action: failed
        Status: 5.2.2
        Diagnostic-Code: smtp;554 5.2.2 mailbox full;
         STOREDRV.Deliver.Exception:QuotaExceededException.MapiExceptionShutoffQuotaExceeded

        --e1c8a2b4-7c1d-4d6e-9a3b-3f2f4c5d6e7f
        Content-Type: message/rfc822

        From: shop@example.com
        To: full@contoso.com
        Subject: Your order

        Hello

        --e1c8a2b4-7c1d-4d6e-9a3b-3f2f4c5d6e7f--
        """;

    public const string Gmail = """
        From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
        To: b+token@bounces.example.com
        Auto-Submitted: auto-replied
        Subject: Delivery Status Notification (Failure)
        Content-Type: multipart/report; boundary="000000000000a1b2c3"; report-type=delivery-status
        MIME-Version: 1.0

        --000000000000a1b2c3
        Content-Type: multipart/related; boundary="000000000000d4e5f6"

        --000000000000d4e5f6
        Content-Type: text/plain; charset="UTF-8"

        ** Address not found **

        Your message wasn't delivered to nobody@gmail.com because the address couldn't be found, or is unable to receive mail.

        --000000000000d4e5f6--

        --000000000000a1b2c3
        Content-Type: message/delivery-status

        Reporting-MTA: dns; googlemail.com
        Received-From-MTA: dns; relay.example.net
        Arrival-Date: Fri, 04 Dec 2026 14:10:02 -0800 (PST)
        X-Original-Message-ID: <order-1@example.com>

        Final-Recipient: rfc822; nobody@gmail.com
        Action: failed
        Status: 5.1.1
        Remote-MTA: dns; gmail-smtp-in.l.google.com. (142.250.0.27, the server for the domain gmail.com.)
        Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does not exist. Please try
         550-5.1.1 double-checking the recipient's email address for typos or
         550 5.1.1 unnecessary spaces. https://support.google.com/mail/?p=NoSuchUser
        Last-Attempt-Date: Fri, 04 Dec 2026 14:10:03 -0800 (PST)

        --000000000000a1b2c3--
        """;

    public const string GmailPolicy = """
        From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
        Subject: Delivery Status Notification (Failure)
        Content-Type: multipart/report; boundary="zz"; report-type=delivery-status
        MIME-Version: 1.0

        --zz
        Content-Type: message/delivery-status

        Reporting-MTA: dns; googlemail.com

        Final-Recipient: rfc822; someone@gmail.com
        Action: failed
        Status: 5.7.26
        Diagnostic-Code: smtp; 550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC policy.

        --zz--
        """;

    public const string PlainTextBounce = """
        From: MAILER-DAEMON@old.example.org
        To: b+token@bounces.example.com
        Subject: failure notice

        Hi. This is the qmail-send program at old.example.org.
        I'm afraid I wasn't able to deliver your message to the following addresses.
        This is a permanent error; I've given up. Sorry it didn't work out.

        <ghost@old.example.org>:
        Remote host said: 550 5.1.1 <ghost@old.example.org>... User unknown

        --- Below this line is a copy of the message.

        From: shop@example.com
        Subject: Your order
        """;

    public const string AutoReply = """
        From: Jane Doe <jane@example.org>
        To: b+token@bounces.example.com
        Subject: Automatic reply: Your order
        Auto-Submitted: auto-replied
        X-Auto-Response-Suppress: All
        Content-Type: text/plain

        I am out of the office until Monday, 7 December, with no access to email.
        """;

    public const string Vacation = """
        From: bob@example.org
        To: b+token@bounces.example.com
        Subject: Away
        Precedence: auto_reply
        Content-Type: text/plain

        Away until next week.
        """;

    public const string Garbage = """
        From: someone@example.org
        Subject: hello

        Just wanted to say thanks for the newsletter, call me at 555 123.
        """;

    public const string BrokenReport = """
        From: MAILER-DAEMON@broken.example
        Content-Type: multipart/report; report-type=delivery-status; boundary="q"

        --q
        Content-Type: message/delivery-status

        Reporting-MTA: dns; broken.example

        Final-Recipient: rfc822; x@example.org

        --q--
        """;

    /// <summary>An RFC 5965 report as a feedback loop sends it, put together with MimeKit's types.</summary>
    public static MimeMessage Arf()
    {
        var report = new MultipartReport("feedback-report");
        report.Add(new TextPart("plain") { Text = "This is an email abuse report for an email message received from IP 192.0.2.1 on Fri, 4 Dec 2026 22:10:02 +0000" });
        var feedback = new MessageFeedbackReport();
        feedback.Fields.Add("Feedback-Type", "abuse");
        feedback.Fields.Add("User-Agent", "ExampleFBL/1.0");
        feedback.Fields.Add("Version", "1");
        feedback.Fields.Add("Original-Mail-From", "<b+token@bounces.example.com>");
        feedback.Fields.Add("Original-Rcpt-To", "<angry@isp.example>");
        feedback.Fields.Add("Arrival-Date", "Fri, 4 Dec 2026 22:10:02 +0000");
        feedback.Fields.Add("Reporting-MTA", "dns; fbl.isp.example");
        feedback.Fields.Add("Source-IP", "192.0.2.1");
        report.Add(feedback);
        report.Add(new TextPart("rfc822-headers") { Text = "From: shop@example.com\r\nTo: angry@isp.example\r\nSubject: Deals\r\n" });
        var message = new MimeMessage { Subject = "FW: Deals", Body = report };
        message.From.Add(new MailboxAddress("ISP Feedback Loop", "fbl@isp.example"));
        message.To.Add(MailboxAddress.Parse("b+token@bounces.example.com"));
        // Written and parsed again, so the part is read as the listener will read it.
        using var bytes = new MemoryStream();
        message.WriteTo(bytes);
        bytes.Position = 0;
        return MimeMessage.Load(bytes);
    }
}
