using EmailApi.TestKit;
using MimeKit;

namespace EmailApi.Tests.Delivery;

public sealed class DeliveryTests
{
    private static readonly object Simple = new { from = "Sender <sender@example.com>", to = "user@dest.test", subject = "Hello", text = "Hi" };

    [Fact]
    public async Task Deliver_ToMxHost_MessageArrivesIntactWithEnvelope()
    {
        await using var h = new DeliveryHarness();
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        var mx = h.Server("127.0.0.2");
        var attachment = "%PDF-1.4 fake pdf bytes \u00e9"u8.ToArray();

        var id = await h.SendAsync(new
        {
            from = "Sender <sender@example.com>", to = "user@dest.test", bcc = "hidden@dest.test", subject = "Grüße", text = "plain body", html = "<p>html body</p>",
            headers = new Dictionary<string, string> { ["X-Campaign"] = "c1" },
            attachments = new[] { new { filename = "doc.pdf", content = Convert.ToBase64String(attachment), contentType = "application/pdf" } },
        });
        var received = await mx.WaitForMessageAsync(TimeSpan.FromSeconds(20));
        var message = await h.WaitForStatusAsync(id, "delivered");

        Assert.Equal("sender@example.com", received.From);
        Assert.Equal(["user@dest.test", "hidden@dest.test"], received.Recipients);
        var mime = MimeMessage.Load(new MemoryStream(received.Data));
        Assert.Equal("Grüße", mime.Subject);
        Assert.Equal($"{id}@relay.test", mime.MessageId);
        Assert.Equal("plain body", mime.TextBody?.Trim());
        Assert.Equal("<p>html body</p>", mime.HtmlBody?.Trim());
        Assert.Equal("c1", mime.Headers["X-Campaign"]);
        Assert.DoesNotContain("hidden@dest.test", received.Text);   // Bcc is envelope only
        var pdf = Assert.IsType<MimePart>(Assert.Single(mime.Attachments));
        using var decoded = new MemoryStream();
        pdf.Content!.DecodeTo(decoded);
        Assert.Equal(attachment, decoded.ToArray());
        Assert.StartsWith("250", DeliveryHarness.Recipient(message, "user@dest.test").GetProperty("lastResponse").GetString());
        Assert.Contains(message.GetProperty("events").EnumerateArray(), e => e.GetProperty("type").GetString() == "delivered" && e.GetProperty("mx").GetString() == "mx.dest.test");
    }

    [Fact]
    public async Task Deliver_PreferredMxDown_UsesBackupMx()
    {
        await using var h = new DeliveryHarness();
        h.Dns.Mx("dest.test", 10, "mx1.dest.test").Mx("dest.test", 20, "mx2.dest.test")
            .A("mx1.dest.test", "127.0.0.2").A("mx2.dest.test", "127.0.0.3");
        var backup = h.Server("127.0.0.3");   // nothing listens on 127.0.0.2

        var id = await h.SendAsync(Simple);
        var message = await h.WaitForStatusAsync(id, "delivered");

        Assert.Single(backup.Messages);
        Assert.Contains(message.GetProperty("events").EnumerateArray(), e => e.GetProperty("mx").GetString() == "mx2.dest.test");
    }

    [Fact]
    public async Task Deliver_LowerPreferenceFirst_WhenBothUp()
    {
        await using var h = new DeliveryHarness();
        h.Dns.Mx("dest.test", 20, "mx2.dest.test").Mx("dest.test", 5, "mx1.dest.test")
            .A("mx1.dest.test", "127.0.0.2").A("mx2.dest.test", "127.0.0.3");
        var primary = h.Server("127.0.0.2");
        var backup = h.Server("127.0.0.3");

        await h.WaitForStatusAsync(await h.SendAsync(Simple), "delivered");

        Assert.Single(primary.Messages);
        Assert.Empty(backup.Messages);
        Assert.Equal(0, backup.ConnectionCount);
    }

    [Fact]
    public async Task Deliver_GreetingRefusedWith421_TriesNextMx()
    {
        await using var h = new DeliveryHarness();
        h.Dns.Mx("dest.test", 10, "mx1.dest.test").Mx("dest.test", 20, "mx2.dest.test")
            .A("mx1.dest.test", "127.0.0.2").A("mx2.dest.test", "127.0.0.3");
        h.Server("127.0.0.2").Greeting = "421 4.3.2 Too busy";
        var backup = h.Server("127.0.0.3");

        await h.WaitForStatusAsync(await h.SendAsync(Simple), "delivered");

        Assert.Single(backup.Messages);
    }

    [Fact]
    public async Task Deliver_NoMxRecords_FallsBackToARecord()
    {
        await using var h = new DeliveryHarness();
        h.Dns.A("dest.test", "127.0.0.4");
        var server = h.Server("127.0.0.4");

        await h.WaitForStatusAsync(await h.SendAsync(Simple), "delivered");

        Assert.Single(server.Messages);
    }

    [Fact]
    public async Task Deliver_NullMx_FailsAtOnceWithoutConnecting()
    {
        await using var h = new DeliveryHarness();
        h.Dns.NullMx("dest.test").A("dest.test", "127.0.0.5");
        var server = h.Server("127.0.0.5");

        var message = await h.WaitForStatusAsync(await h.SendAsync(Simple), "failed");

        var recipient = DeliveryHarness.Recipient(message, "user@dest.test");
        Assert.Equal(1, recipient.GetProperty("attempts").GetInt32());
        Assert.Contains("null MX", recipient.GetProperty("lastResponse").GetString());
        Assert.Equal(0, server.ConnectionCount);
    }

    [Fact]
    public async Task Deliver_NxDomain_FailsAtOnce()
    {
        await using var h = new DeliveryHarness();
        h.Dns.NxDomain("dest.test");

        var message = await h.WaitForStatusAsync(await h.SendAsync(Simple), "failed");

        Assert.Contains("NXDOMAIN", DeliveryHarness.Recipient(message, "user@dest.test").GetProperty("lastResponse").GetString());
    }

    [Fact]
    public async Task Deliver_ServFail_DefersWithNextAttempt()
    {
        await using var h = new DeliveryHarness();
        h.Dns.ServFail("dest.test");

        var message = await h.WaitForStatusAsync(await h.SendAsync(Simple), "deferred");

        var recipient = DeliveryHarness.Recipient(message, "user@dest.test");
        Assert.Equal(1, recipient.GetProperty("attempts").GetInt32());
        Assert.True(recipient.GetProperty("nextAttemptAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddSeconds(30));
    }

    [Fact]
    public async Task Deliver_MixedRecipientReplies_EachRecipientGetsItsOwnResult()
    {
        await using var h = new DeliveryHarness();
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        var server = h.Server("127.0.0.2");
        server.OnRcpt = rcpt => rcpt switch
        {
            "gone@dest.test" => "550 5.1.1 No such user",
            "busy@dest.test" => "450 4.2.1 Mailbox busy",
            "full@dest.test" => "552 5.2.2 Too many recipients",
            _ => "250 2.1.5 Ok",
        };

        var id = await h.SendAsync(new { from = "s@example.com", to = new[] { "ok@dest.test", "gone@dest.test", "busy@dest.test", "full@dest.test" }, text = "x" });
        var message = await h.WaitForAsync(id, m => m.GetProperty("recipients").EnumerateArray().All(r => r.GetProperty("attempts").GetInt32() == 1));

        Assert.Equal("delivered", DeliveryHarness.Recipient(message, "ok@dest.test").GetProperty("status").GetString());
        Assert.Equal("bounced", DeliveryHarness.Recipient(message, "gone@dest.test").GetProperty("status").GetString());
        Assert.StartsWith("550", DeliveryHarness.Recipient(message, "gone@dest.test").GetProperty("lastResponse").GetString());
        Assert.Equal("deferred", DeliveryHarness.Recipient(message, "busy@dest.test").GetProperty("status").GetString());
        // RFC 5321 §4.5.3.1.10: 552 to RCPT is treated as temporary.
        Assert.Equal("deferred", DeliveryHarness.Recipient(message, "full@dest.test").GetProperty("status").GetString());
        Assert.Equal(["ok@dest.test"], Assert.Single(server.Messages).Recipients);
    }

    [Fact]
    public async Task Deliver_AllRecipientsRefused_KeepsTheRealRepliesNotASynthetic554()
    {
        await using var h = new DeliveryHarness();
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        h.Server("127.0.0.2").OnRcpt = rcpt => rcpt.StartsWith("soft") ? "451 4.7.1 Greylisted" : "550 5.1.1 Unknown";

        var id = await h.SendAsync(new { from = "s@example.com", to = new[] { "soft@dest.test", "hard@dest.test" }, text = "x" });
        var message = await h.WaitForAsync(id, m => m.GetProperty("recipients").EnumerateArray().All(r => r.GetProperty("attempts").GetInt32() == 1));

        var soft = DeliveryHarness.Recipient(message, "soft@dest.test");
        Assert.Equal("deferred", soft.GetProperty("status").GetString());
        Assert.StartsWith("451", soft.GetProperty("lastResponse").GetString());
        Assert.StartsWith("550", DeliveryHarness.Recipient(message, "hard@dest.test").GetProperty("lastResponse").GetString());
    }

    [Fact]
    public async Task Deliver_DataRefusedPermanently_Bounces()
    {
        await using var h = new DeliveryHarness();
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        h.Server("127.0.0.2").OnData = _ => "554 5.7.1 Message rejected as spam";

        var message = await h.WaitForStatusAsync(await h.SendAsync(Simple), "bounced");

        Assert.Contains("5.7.1", DeliveryHarness.Recipient(message, "user@dest.test").GetProperty("lastResponse").GetString());
    }

    [Fact]
    public async Task Deliver_DataRefusedTemporarily_Defers()
    {
        await using var h = new DeliveryHarness();
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        h.Server("127.0.0.2").OnData = _ => "451 4.3.0 Try again later";

        var message = await h.WaitForStatusAsync(await h.SendAsync(Simple), "deferred");

        Assert.StartsWith("451", DeliveryHarness.Recipient(message, "user@dest.test").GetProperty("lastResponse").GetString());
    }

    [Fact]
    public async Task Deliver_StartTlsOffered_UsesTlsAndRecordsIt()
    {
        await using var h = new DeliveryHarness();
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        var server = h.Server("127.0.0.2");
        server.OfferStartTls = true;

        var message = await h.WaitForStatusAsync(await h.SendAsync(Simple), "delivered");

        Assert.True(Assert.Single(server.Messages).OverTls);
        Assert.Contains("TLS", DeliveryHarness.Recipient(message, "user@dest.test").GetProperty("lastResponse").GetString());
    }

    [Fact]
    public async Task Deliver_BrokenStartTls_FallsBackToPlaintext()
    {
        await using var h = new DeliveryHarness();
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        var server = h.Server("127.0.0.2");
        server.BreakTls = true;

        await h.WaitForStatusAsync(await h.SendAsync(Simple), "delivered");

        Assert.False(Assert.Single(server.Messages).OverTls);
    }
}
