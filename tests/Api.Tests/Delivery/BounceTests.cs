using System.Net;
using System.Net.Http.Json;
using MimeKit;

namespace EmailApi.Tests.Delivery;

public sealed class BounceTests
{
    private static DeliveryHarness Harness(bool dsnForApi = true)
    {
        var h = new DeliveryHarness(new() { ["Delivery:DsnForApi"] = dsnForApi ? "true" : "false" });
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2")
            .Mx("origin.test", 10, "mx.origin.test").A("mx.origin.test", "127.0.0.3");
        return h;
    }

    [Fact]
    public async Task HardBounce_SendsAnRfc3464NotificationFromTheNullSender()
    {
        await using var h = Harness();
        h.Server("127.0.0.2").OnRcpt = rcpt => rcpt == "gone@dest.test" ? "550 5.1.1 <gone@dest.test>: No such user" : "250 2.1.5 Ok";
        var senderMailbox = h.Server("127.0.0.3");

        var id = await h.SendAsync(new { from = "Shop <shop@origin.test>", to = new[] { "gone@dest.test", "ok@dest.test" }, subject = "Order 42", text = "x" });
        var dsn = await senderMailbox.WaitForMessageAsync(TimeSpan.FromSeconds(20));

        Assert.Equal("", dsn.From);   // MAIL FROM:<>
        Assert.Equal(["shop@origin.test"], dsn.Recipients);
        var mime = MimeMessage.Load(new MemoryStream(dsn.Data));
        var report = Assert.IsType<MultipartReport>(mime.Body);
        Assert.Equal("delivery-status", report.ReportType);
        var status = Assert.Single(report.OfType<MessageDeliveryStatus>());
        var recipient = Assert.Single(status.StatusGroups.Skip(1), g => g.Count > 0);
        Assert.Equal("rfc822; gone@dest.test", recipient["Final-Recipient"]);
        Assert.Equal("failed", recipient["Action"]);
        Assert.Equal("5.1.1", recipient["Status"]);
        Assert.Equal("dns; mx.dest.test", recipient["Remote-MTA"]);
        Assert.Contains("No such user", recipient["Diagnostic-Code"]);
        Assert.StartsWith("dns; relay.test", status.StatusGroups[0]["Reporting-MTA"]);
        Assert.Equal("text/rfc822-headers", report[2].ContentType.MimeType);
        // The returned header starts with our Received trace line; From follows it.
        Assert.Matches("Content-Type: text/rfc822-headers\r\n(.+\r\n)*\r\n(.+\r\n)*From: Shop <shop@origin.test>\r\n(.+\r\n)*Subject: Order 42\r\n", dsn.Text);
        Assert.Equal("auto-replied", mime.Headers["Auto-Submitted"]);
        Assert.Contains($"<{id}@relay.test>", mime.InReplyTo is null ? "" : $"<{mime.InReplyTo}>");
        var message = await h.GetAsync(id);
        Assert.Equal("partially_delivered", message.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Bounce_OfApiMessage_SendsNoNotificationByDefault()
    {
        await using var h = Harness(dsnForApi: false);
        h.Server("127.0.0.2").OnRcpt = _ => "550 5.1.1 No such user";
        var senderMailbox = h.Server("127.0.0.3");

        var id = await h.SendAsync(new { from = "shop@origin.test", to = "gone@dest.test", text = "x" });
        await h.WaitForStatusAsync(id, "bounced");
        // A notification would have been queued with the bounce, and stays live until it is sent.
        await h.WaitForQueueDrainedAsync();

        Assert.Empty(senderMailbox.Messages);
    }

    [Fact]
    public async Task NotificationThatBounces_NeverCausesAnother()
    {
        await using var h = Harness();
        h.Server("127.0.0.2").OnRcpt = _ => "550 5.1.1 No such user";
        var senderMx = h.Server("127.0.0.3");
        senderMx.OnRcpt = _ => "550 5.1.1 Sender mailbox gone too";

        var id = await h.SendAsync(new { from = "shop@origin.test", to = "gone@dest.test", text = "x" });
        await h.WaitForStatusAsync(id, "bounced");
        // The notification is queued with the bounce; once nothing is live, no further one can follow.
        await h.WaitForQueueDrainedAsync();

        Assert.Equal(1, senderMx.Transcript.Count(l => l.StartsWith("C: MAIL FROM:<>")));
    }

    [Fact]
    public async Task HardBounce_SuppressesTheAddress_AndLaterSendsAreNotAttempted()
    {
        await using var h = Harness(dsnForApi: false);
        var mx = h.Server("127.0.0.2");
        mx.OnRcpt = _ => "550 5.1.1 No such user";

        await h.WaitForStatusAsync(await h.SendAsync(new { from = "shop@origin.test", to = "Gone@dest.test", text = "x" }), "bounced");
        var connections = mx.ConnectionCount;
        var second = await h.SendAsync(new { from = "shop@origin.test", to = "gone@dest.test", text = "again" });
        var message = await h.WaitForStatusAsync(second, "suppressed");

        Assert.Equal(0, DeliveryHarness.Recipient(message, "gone@dest.test").GetProperty("attempts").GetInt32());
        Assert.Equal(connections, mx.ConnectionCount);
        var list = await TestApp.ReadJsonAsync(await h.Client.GetAsync("/v1/suppressions"));
        var entry = Assert.Single(list.GetProperty("items").EnumerateArray());
        Assert.Equal("bounce", entry.GetProperty("source").GetString());
        Assert.Contains("5.1.1", entry.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task PolicyRejection_BouncesWithoutSuppressing()
    {
        await using var h = Harness(dsnForApi: false);
        h.Server("127.0.0.2").OnData = _ => "554 5.7.1 Rejected by policy";

        await h.WaitForStatusAsync(await h.SendAsync(new { from = "shop@origin.test", to = "u@dest.test", text = "x" }), "bounced");

        var list = await TestApp.ReadJsonAsync(await h.Client.GetAsync("/v1/suppressions"));
        Assert.Empty(list.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Suppressions_AddListRemove_AreScopedToTheAccount()
    {
        await using var h = Harness(dsnForApi: false);
        var mx = h.Server("127.0.0.2");

        var added = await h.Client.PostAsJsonAsync("/v1/suppressions", new { email = "Blocked@dest.test", reason = "asked to stop" });
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await h.Client.PostAsJsonAsync("/v1/suppressions", new { email = "blocked@dest.test" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await h.Client.PostAsJsonAsync("/v1/suppressions", new { email = "nope" })).StatusCode);

        var id = await h.SendAsync(new { from = "shop@origin.test", to = new[] { "blocked@dest.test", "fine@dest.test" }, text = "x" });
        var message = await h.WaitForAsync(id, m => m.GetProperty("status").GetString() == "partially_delivered");
        Assert.Equal("suppressed", DeliveryHarness.Recipient(message, "blocked@dest.test").GetProperty("status").GetString());
        Assert.Equal(["fine@dest.test"], Assert.Single(mx.Messages).Recipients);

        Assert.Equal(HttpStatusCode.NoContent, (await h.Client.DeleteAsync("/v1/suppressions/blocked@dest.test")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await h.Client.DeleteAsync("/v1/suppressions/blocked@dest.test")).StatusCode);
        await h.WaitForStatusAsync(await h.SendAsync(new { from = "shop@origin.test", to = "blocked@dest.test", text = "x" }), "delivered");
    }
}
