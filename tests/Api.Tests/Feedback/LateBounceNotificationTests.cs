using EmailApi.Feedback;
using EmailApi.Queue;
using MimeKit;

namespace EmailApi.Tests.Feedback;

public sealed class LateBounceNotificationTests
{
    /// <summary>A remote report's status and diagnostic (as the classifier read them) to the reply the notification names.</summary>
    [Theory]
    [InlineData("5.1.1", "550 5.1.1 <gone@dest.test>: Recipient address rejected: User unknown", 550, "5.1.1", "<gone@dest.test>: Recipient address rejected: User unknown")]
    [InlineData("5.1.1", "550 User unknown", 550, "5.1.1", "User unknown")]                                        // the report's status where the reply has none
    [InlineData("5.2.1", "550 5.2.1 Mailbox disabled", 550, "5.2.1", "Mailbox disabled")]                         // Exim's 5.0.0, refined from its diagnostic
    [InlineData("5.7.26", "550-5.7.26 Unauthenticated email 550 5.7.26 is not accepted", 550, "5.7.26", "Unauthenticated email 550 5.7.26 is not accepted")]   // Gmail's multi-line reply, folded
    [InlineData("5.4.7", "450 4.4.1 Host unreachable", 450, "4.4.1", "Host unreachable")]                         // the reply as given, whatever the verdict
    [InlineData("5.1.1", "450 Try later", 450, null, "Try later")]                                               // a 5.x.x status never joins a 4xx reply
    [InlineData("5.4.4", "Host or domain name not found", null, "5.4.4", "Host or domain name not found")]         // not an SMTP reply (X-Postfix)
    [InlineData("5.0.0", null, null, "5.0.0", "The receiving system reported the message undeliverable")]
    [InlineData("5.1.1", "5501 nonsense", null, "5.1.1", "5501 nonsense")]
    public void Reply_FromTheReportedStatusAndDiagnostic(string status, string? diagnostic, int? code, string? enhanced, string text)
    {
        var reply = LateBounceNotification.Reply(new ReportedRecipient("x@dest.test", "failed", status, diagnostic, null, BounceKind.Hard));

        Assert.Equal((code, enhanced, text), (reply.Code, reply.EnhancedStatus, reply.Text));
    }

    [Fact]
    public void Create_NamesOurRecipientWithTheRemoteVerdict_FromTheNullSenderToTheEnvelopeSender()
    {
        var original = new QueuedMessage(MessageId.New(TimeProvider.System), "acc-1", MessageSource.Smtp, "shop@origin.test",
            "Message-ID: <order-42@origin.test>\r\nFrom: shop@origin.test\r\nSubject: Order 42\r\n\r\nbody\r\n"u8.ToArray(), DateTimeOffset.UtcNow);
        // The remote report may name the final mailbox after forwarding; the sender knows the address it wrote to.
        var reported = new ReportedRecipient("forwarded@elsewhere.test", "failed", "5.1.1", "550 5.1.1 No such user", "mx.dest.test", BounceKind.Hard);

        var dsn = LateBounceNotification.Create(original, "gone@dest.test", reported, "relay.test", TimeProvider.System);

        Assert.Equal(("acc-1", MessageSource.Dsn, ""), (dsn.AccountId, dsn.Source, dsn.EnvelopeFrom));
        Assert.Equal(["shop@origin.test"], dsn.Recipients);
        Assert.Equal(["bounce"], dsn.Tags);
        Assert.Equal(original.Id.ToString(), dsn.Metadata!["originalMessageId"]);
        using var message = MimeMessage.Load(new MemoryStream(dsn.Raw));
        var group = message.BodyParts.OfType<MessageDeliveryStatus>().Single().StatusGroups[1];
        Assert.Equal(("rfc822; gone@dest.test", "failed", "5.1.1", "dns; mx.dest.test", "smtp; 550 5.1.1 No such user"),
            (group["Final-Recipient"], group["Action"], group["Status"], group["Remote-MTA"], group["Diagnostic-Code"]));
        Assert.Equal("order-42@origin.test", message.InReplyTo);
    }

    [Fact]
    public void Create_OriginalContentDroppedByRetention_StillReportsTheBounce()
    {
        var original = new QueuedMessage(MessageId.New(TimeProvider.System), "acc-1", MessageSource.Smtp, "shop@origin.test", [], DateTimeOffset.UtcNow);

        var dsn = LateBounceNotification.Create(original, "gone@dest.test", new ReportedRecipient(null, "failed", "5.1.1", null, null, BounceKind.Hard), "relay.test", TimeProvider.System);

        using var message = MimeMessage.Load(new MemoryStream(dsn.Raw));
        var group = message.BodyParts.OfType<MessageDeliveryStatus>().Single().StatusGroups[1];
        Assert.Equal(("rfc822; gone@dest.test", "5.1.1"), (group["Final-Recipient"], group["Status"]));
    }
}
