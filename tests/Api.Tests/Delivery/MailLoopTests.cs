using System.Net;
using System.Net.Http.Headers;
using System.Text;
using EmailApi.Queue;
using EmailApi.SmtpBridge;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace EmailApi.Tests.Delivery;

/// <summary>
/// Mail loops (RFC 5321 §6.3): a hop limit on Received fields at both doors and at delivery
/// (Postfix's hopcount_limit), and MX hosts that are this very process or the unspecified address
/// are never dialled (Postfix's "loops back to myself").
/// </summary>
public sealed class MailLoopTests
{
    private static string Raw(int receivedHeaders, string to = "user@dest.test")
    {
        var text = new StringBuilder();
        for (var i = 0; i < receivedHeaders; i++)
            text.Append($"Received: from hop{i}.example (hop{i}.example [192.0.2.{i % 250 + 1}])\r\n\tby hop{i + 1}.example with ESMTP id {i}; Fri, 4 Dec 2026 20:00:00 +0000\r\n");
        text.Append($"From: sender@example.com\r\nTo: {to}\r\nSubject: hops\r\n\r\nbody\r\n");
        return text.ToString();
    }

    [Theory]
    [InlineData(48, HttpStatusCode.Accepted)]              // with our own Received (HTTP mail gets one too), 49
    [InlineData(49, HttpStatusCode.UnprocessableEntity)]   // with our own Received, 50: at the limit
    [InlineData(120, HttpStatusCode.UnprocessableEntity)]
    public async Task SendRaw_AtOrOverMaxHops_IsRefusedAsMailLoop(int hops, HttpStatusCode expected)
    {
        using var app = new TestApp();
        var content = new ByteArrayContent(Encoding.ASCII.GetBytes(Raw(hops)));
        content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");

        var response = await app.Authorized().PostAsync("/v1/send/raw", content);

        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.Accepted) return;
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await TestApp.ReadJsonAsync(response);
        Assert.Equal("Mail loop detected", problem.GetProperty("title").GetString());
        Assert.Contains($"{hops + 1} relays", problem.GetProperty("detail").GetString());
        Assert.Contains("limit is 50", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData(48, null)]                 // with the bridge's own Received, 49: accepted
    [InlineData(49, "5.4.6")]              // with the bridge's own Received, 50: at the limit
    public async Task SmtpSubmit_AtMaxHopsWithOwnReceived_IsRefused554_5_4_6(int hops, string? enhanced)
    {
        using var app = new TestApp(new() { ["Roles"] = "api,smtp" });
        var bridge = app.Services.GetRequiredService<SmtpBridgeHost>();
        using var client = new SmtpClient { CheckCertificateRevocation = false, Timeout = 15_000 };
        client.ServerCertificateValidationCallback = (_, _, _, _) => true;
        await client.ConnectAsync(bridge.SubmissionEndPoint!.Address.ToString(), bridge.SubmissionEndPoint.Port, SecureSocketOptions.StartTls);
        await client.AuthenticateAsync("apikey", TestApp.Key);
        using var message = MimeMessage.Load(new MemoryStream(Encoding.ASCII.GetBytes(Raw(hops))));

        if (enhanced is null)
        {
            Assert.StartsWith("2.0.0", await client.SendAsync(message));
            return;
        }
        var error = await Assert.ThrowsAsync<SmtpCommandException>(() => client.SendAsync(message));
        Assert.Equal(554, (int)error.StatusCode);
        Assert.StartsWith("5.4.6 Mail loop", error.Message);
    }

    [Fact]
    public async Task Deliver_MessageAlreadyQueuedOverMaxHops_BouncesWith546_WithoutDialling()
    {
        await using var h = new DeliveryHarness(new() { ["Delivery:MaxHops"] = "10" });
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        var server = h.Server("127.0.0.2");
        // Queued before the limit was lowered (or by a way in that does not count): straight into the store.
        var account = (await TestApp.ReadJsonAsync(await h.Client.GetAsync("/v1/account"))).GetProperty("id").GetString()!;
        var clock = h.App.Services.GetRequiredService<TimeProvider>();
        var looping = MessageId.New(clock);
        await h.App.Services.GetRequiredService<IQueueStore>().EnqueueAsync([new NewMessage(looping, account, MessageSource.Api, "sender@example.com",
            ["user@dest.test"], Encoding.ASCII.GetBytes(Raw(12)), null, "hops", [], null, clock.GetUtcNow())], CancellationToken.None);

        var message = await h.WaitForStatusAsync(looping.ToString(), "bounced");
        var fine = await h.WaitForStatusAsync(await h.SendAsync(new { from = "sender@example.com", to = "other@dest.test", text = "x" }), "delivered");

        var recipient = DeliveryHarness.Recipient(message, "user@dest.test");
        Assert.StartsWith("554 5.4.6 Mail loop", recipient.GetProperty("lastResponse").GetString());
        Assert.Contains(message.GetProperty("events").EnumerateArray(), e => e.GetProperty("type").GetString() == "bounced");
        Assert.Equal(["other@dest.test"], Assert.Single(server.Messages).Recipients);
    }

    [Theory]
    [InlineData("own SMTP listener", "127.0.0.1", "5.4.6")]
    [InlineData("unspecified address", "0.0.0.0", "5.4.6")]
    [InlineData("broadcast address", "255.255.255.255", "5.4.4")]
    [InlineData("multicast address", "224.0.0.251", "5.4.4")]
    public async Task Deliver_MxIsThisProcessOrUnroutable_BouncesWithoutDialling(string scenario, string address, string enhanced)
    {
        // The process's own SMTP listener sits on the delivery port, on 127.0.0.1; sinks elsewhere on loopback stay allowed.
        var port = FakeSmtpServerPort();
        await using var h = new DeliveryHarness(new() { ["Roles"] = "api,smtp,sender", ["Smtp:Address"] = "127.0.0.1", ["Smtp:Port"] = port.ToString(), ["Delivery:Port"] = port.ToString() });
        h.Dns.Mx("loop.test", 10, "mx.loop.test").A("mx.loop.test", address);
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        var sink = new TestKit.FakeSmtpServer(IPAddress.Parse("127.0.0.2"), port);
        await using var _ = sink;
        Assert.Equal(port, h.App.Services.GetRequiredService<SmtpBridgeHost>().SubmissionEndPoint!.Port);

        var looping = await h.WaitForStatusAsync(await h.SendAsync(new { from = "sender@example.com", to = "user@loop.test", text = scenario }), "bounced");
        await h.WaitForStatusAsync(await h.SendAsync(new { from = "sender@example.com", to = "user@dest.test", text = "fine" }), "delivered");

        var recipient = DeliveryHarness.Recipient(looping, "user@loop.test");
        Assert.StartsWith($"554 {enhanced}", recipient.GetProperty("lastResponse").GetString());
        Assert.Contains(looping.GetProperty("events").EnumerateArray(), e => e.GetProperty("type").GetString() == "bounced");
        Assert.Single(sink.Messages);
        // Nothing came back in through our own door: only the two messages sent over HTTP exist.
        var list = await TestApp.ReadJsonAsync(await h.Client.GetAsync("/v1/messages"));
        Assert.Equal(2, list.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Deliver_OwnAddressIsBackupMx_DeliversToTheBetterMx()
    {
        var port = FakeSmtpServerPort();
        await using var h = new DeliveryHarness(new() { ["Roles"] = "api,smtp,sender", ["Smtp:Address"] = "127.0.0.1", ["Smtp:Port"] = port.ToString(), ["Delivery:Port"] = port.ToString() });
        h.Dns.Mx("dest.test", 10, "mx1.dest.test").Mx("dest.test", 20, "backup.dest.test")
            .A("mx1.dest.test", "127.0.0.2").A("backup.dest.test", "127.0.0.1");
        var sink = new TestKit.FakeSmtpServer(IPAddress.Parse("127.0.0.2"), port);
        await using var _ = sink;

        await h.WaitForStatusAsync(await h.SendAsync(new { from = "sender@example.com", to = "user@dest.test", text = "x" }), "delivered");

        Assert.Single(sink.Messages);
    }

    private static int FakeSmtpServerPort() => TestKit.FakeSmtpServer.FreePort();
}
