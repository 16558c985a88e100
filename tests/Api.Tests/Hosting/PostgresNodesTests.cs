using System.Net;
using System.Net.Http.Json;
using EmailApi.Delivery;
using EmailApi.Events;
using EmailApi.TestKit;
using EmailApi.Tests.Delivery;
using EmailApi.Tests.Events;
using EmailApi.Tests.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using System.Text.Json;

namespace EmailApi.Tests.Hosting;

/// <summary>
/// The whole host (Program.cs) on PostgreSQL, and several hosts sharing one database with the
/// roles split between them, as separate machines would.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresNodesTests(PostgresServer server)
{
    private async Task<Dictionary<string, string?>> DatabaseAsync() => new()
    {
        ["Storage:Provider"] = "Postgres",
        ["Storage:Postgres:ConnectionString"] = await server.CreateDatabaseAsync(CancellationToken.None),
    };

    [Fact]
    public async Task SendAndDeliver_OnPostgres_ThroughTheRealHost()
    {
        await using var h = new DeliveryHarness(await DatabaseAsync());
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        var mx = h.Server("127.0.0.2");

        var id = await h.SendAsync(new { from = "s@example.com", to = new[] { "a@dest.test", "b@dest.test" }, subject = "pg", text = "x", tags = new[] { "t" } });
        var message = await h.WaitForStatusAsync(id, "delivered");

        var received = Assert.Single(mx.Messages);
        Assert.Equal(["a@dest.test", "b@dest.test"], received.Recipients);
        Assert.Equal(["queued", "queued", "delivered", "delivered"], message.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("type").GetString()));
        var log = await TestApp.ReadJsonAsync(await h.Client.GetAsync("/v1/messages?tag=t"));
        Assert.Contains(id, log.ToString());
    }

    [Fact]
    public async Task ApiNodeAndSenderNode_OnOneDatabase_SplitTheWork()
    {
        var database = await DatabaseAsync();
        using var dns = new DnsTestServer();
        var port = FakeSmtpServer.FreePort();
        await using var mx = new FakeSmtpServer(IPAddress.Parse("127.0.0.2"), port);
        dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        var delivery = new Dictionary<string, string?>(database)
        {
            ["Delivery:DnsServers:0"] = dns.Endpoint,
            ["Delivery:Port"] = port.ToString(),
        };
        using var api = new TestApp(new Dictionary<string, string?>(delivery) { ["Roles"] = "api" });
        var client = api.Authorized();

        var response = await client.PostAsJsonAsync("/v1/send", new { from = "s@example.com", to = "a@dest.test", text = "x" });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await TestApp.ReadJsonAsync(response)).GetProperty("id").GetString();
        // An api-only node never delivers: it has no sender, and the recipient stays queued.
        Assert.DoesNotContain(api.Services.GetServices<IHostedService>(), s => s is DeliveryWorker);
        var queued = await TestApp.ReadJsonAsync(await client.GetAsync($"/v1/messages/{id}"));
        Assert.Equal(("queued", 0), (queued.GetProperty("status").GetString(), queued.GetProperty("recipients")[0].GetProperty("attempts").GetInt32()));
        Assert.Equal(0, mx.ConnectionCount);

        using var sender = new TestApp(new Dictionary<string, string?>(delivery) { ["Roles"] = "sender" });
        var senderClient = sender.Authorized();
        await mx.WaitForMessageAsync(TimeSpan.FromSeconds(20));

        // The sender node serves health and metrics only; the API answers on the api node.
        Assert.Equal(HttpStatusCode.NotFound, (await senderClient.PostAsJsonAsync("/v1/send", new { from = "s@example.com", to = "a@dest.test", text = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await senderClient.GetAsync("/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await senderClient.GetAsync("/metrics")).StatusCode);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        string? status;
        do
        {
            status = (await TestApp.ReadJsonAsync(await client.GetAsync($"/v1/messages/{id}"))).GetProperty("status").GetString();
            if (status != "delivered") await Task.Delay(100);
        } while (status != "delivered" && DateTime.UtcNow < deadline);
        Assert.Equal("delivered", status);
        Assert.Single(mx.Messages);
    }

    [Fact]
    public async Task Webhooks_WithTwoSenderNodesDispatching_ArriveOncePerEventInOrderPerMessage()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var dns = new DnsTestServer();
        var port = FakeSmtpServer.FreePort();
        await using var mx = new FakeSmtpServer(IPAddress.Parse("127.0.0.2"), port);
        dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        var settings = new Dictionary<string, string?>(await DatabaseAsync())
        {
            ["Delivery:DnsServers:0"] = dns.Endpoint,
            ["Delivery:Port"] = port.ToString(),
            ["Webhooks:PollInterval"] = "00:00:00.100",
            ["Webhooks:AllowPrivateNetworks"] = "true",   // the receiver is on loopback
        };
        using var api = new TestApp(new Dictionary<string, string?>(settings) { ["Roles"] = "api" });
        var client = api.Authorized();
        Assert.Equal(HttpStatusCode.Created,
            (await client.PostAsJsonAsync("/v1/webhooks", new { url = receiver.Url, events = new[] { "queued", "delivered" } })).StatusCode);
        using var sender1 = new TestApp(new Dictionary<string, string?>(settings) { ["Roles"] = "sender" });
        using var sender2 = new TestApp(new Dictionary<string, string?>(settings) { ["Roles"] = "sender" });
        sender1.CreateClient();   // starts the host: its sender and webhook dispatcher
        sender2.CreateClient();

        var ids = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            var response = await client.PostAsJsonAsync("/v1/send", new { from = "s@example.com", to = new[] { $"a{i}@dest.test", $"b{i}@dest.test" }, text = "x" });
            ids.Add((await TestApp.ReadJsonAsync(response)).GetProperty("id").GetString()!);
        }
        await receiver.WaitForAsync(r => r.Count >= 40, TimeSpan.FromSeconds(30));
        // A duplicate would come from a delivery some node still had in flight: once each node has gone
        // round idle twice since, every delivery it started has been answered, so all copies are in.
        var dispatchers = new[] { sender1, sender2 }.Select(a => a.Services.GetServices<IHostedService>().OfType<WebhookDispatcher>().Single()).ToArray();
        var seen = dispatchers.Select(d => d.IdleRounds).ToArray();
        var idleBy = DateTime.UtcNow.AddSeconds(30);
        while (dispatchers.Select((d, i) => d.IdleRounds - seen[i]).Min() < 2 && DateTime.UtcNow < idleBy) await Task.Delay(50);
        Assert.All(dispatchers.Select((d, i) => d.IdleRounds - seen[i]), rounds => Assert.True(rounds >= 2));

        var hooks = receiver.Accepted;
        Assert.Equal(40, hooks.Count);
        Assert.Equal(40, hooks.Select(h => h.Id).Distinct().Count());
        foreach (var id in ids)
        {
            var types = hooks.Select(h => JsonDocument.Parse(h.Body).RootElement)
                .Where(e => e.GetProperty("data").GetProperty("messageId").GetString() == id)
                .Select(e => e.GetProperty("type").GetString()!)
                .ToArray();
            Assert.Equal(["message.queued", "message.queued", "message.delivered", "message.delivered"], types);
        }
    }
}
