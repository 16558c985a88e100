using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EmailApi.TestKit;
using Microsoft.Extensions.Time.Testing;
using MimeKit;

namespace EmailApi.Tests.Delivery;

/// <summary>Retries driven by a fake clock: the sender polls in real time, but what is due is decided by the clock.</summary>
public sealed class RetryTests : IAsyncDisposable
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly DnsTestServer _dns = new();
    private readonly int _port = FakeSmtpServer.FreePort();
    private readonly List<FakeSmtpServer> _servers = [];
    private TestApp? _app;

    public async ValueTask DisposeAsync()
    {
        _app?.Dispose();
        foreach (var s in _servers) await s.DisposeAsync();
        _dns.Dispose();
    }

    private FakeSmtpServer Server(string address)
    {
        var server = new FakeSmtpServer(IPAddress.Parse(address), _port);
        _servers.Add(server);
        return server;
    }

    private HttpClient Start(Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Roles"] = "api,sender",
            ["Delivery:DnsServers:0"] = _dns.Endpoint,
            ["Delivery:Port"] = _port.ToString(),
        };
        foreach (var (k, v) in extra ?? []) settings[k] = v;
        _app = new TestApp(settings, _clock);
        return _app.Authorized();
    }

    private static async Task<JsonElement> WaitAsync(HttpClient client, string id, Func<JsonElement, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var message = await TestApp.ReadJsonAsync(await client.GetAsync($"/v1/messages/{id}"));
            if (done(message)) return message;
            if (DateTime.UtcNow > deadline) throw new TimeoutException(message.ToString());
            await Task.Delay(100);
        }
    }

    private static int Attempts(JsonElement m) => m.GetProperty("recipients")[0].GetProperty("attempts").GetInt32();

    private static async Task<string> SendAsync(HttpClient client, object message)
    {
        var response = await client.PostAsJsonAsync("/v1/send", message);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await TestApp.ReadJsonAsync(response)).GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task GreetingRefused_ThenAccepted_IsDeliveredOnTheRetryOnce()
    {
        _dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        var server = Server("127.0.0.2");
        server.Greeting = "421 4.3.2 Service not available, try later";
        var client = Start();

        var id = await SendAsync(client, new { from = "s@example.com", to = "u@dest.test", text = "x" });
        var deferred = await WaitAsync(client, id, m => Attempts(m) == 1);
        Assert.Equal("deferred", deferred.GetProperty("status").GetString());
        var next = deferred.GetProperty("recipients")[0].GetProperty("nextAttemptAt").GetDateTimeOffset();
        Assert.InRange(next - _clock.GetUtcNow(), TimeSpan.FromSeconds(50), TimeSpan.FromSeconds(70));

        await SenderRounds.WaitAsync(_app!.Services, rounds: 2);
        Assert.Equal(1, Attempts(await TestApp.ReadJsonAsync(await client.GetAsync($"/v1/messages/{id}"))));   // not before it is due
        server.Greeting = "220 fake.test ESMTP";
        _clock.Advance(TimeSpan.FromMinutes(2));
        var delivered = await WaitAsync(client, id, m => m.GetProperty("status").GetString() == "delivered");

        Assert.Equal(2, Attempts(delivered));
        Assert.Single(server.Messages);
        Assert.Equal(["queued", "deferred", "delivered"], delivered.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("type").GetString()));
    }

    [Fact]
    public async Task DeferredPastTheQueueLifetime_BouncesWithTheLastReply_AndNotifiesTheSender()
    {
        _dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2")
            .Mx("origin.test", 10, "mx.origin.test").A("mx.origin.test", "127.0.0.3");
        Server("127.0.0.2").OnRcpt = _ => "451 4.7.1 Greylisted, come back later";
        var senderMailbox = Server("127.0.0.3");
        var client = Start(new() { ["Delivery:MaxQueueLifetime"] = "01:00:00", ["Delivery:DsnForApi"] = "true" });

        var id = await SendAsync(client, new { from = "shop@origin.test", to = "u@dest.test", subject = "Hi", text = "x" });
        var attempts = 0;
        JsonElement message;
        do
        {
            message = await WaitAsync(client, id, m => Attempts(m) > attempts);
            attempts = Attempts(message);
            _clock.Advance(TimeSpan.FromMinutes(20));
        }
        while (message.GetProperty("status").GetString() == "deferred" && attempts < 20);

        Assert.Equal("bounced", message.GetProperty("status").GetString());
        var reply = message.GetProperty("recipients")[0].GetProperty("lastResponse").GetString();
        Assert.Contains("5.4.7", reply);
        Assert.Contains("Greylisted", reply);
        Assert.InRange(attempts, 4, 8);
        var dsn = MimeMessage.Load(new MemoryStream((await senderMailbox.WaitForMessageAsync(TimeSpan.FromSeconds(20))).Data));
        var status = Assert.IsType<MultipartReport>(dsn.Body).OfType<MessageDeliveryStatus>().Single();
        Assert.Equal("5.4.7", status.StatusGroups[1]["Status"]);
    }

    [Fact]
    public async Task MessagesQueuedTogether_ShareOneConnection()
    {
        _dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        var server = Server("127.0.0.2");
        var db = Path.Combine(Path.GetTempPath(), "emailapi-reuse", Guid.NewGuid().ToString("N"), "q.db");
        var ids = new List<string>();
        using (var intake = new TestApp(new() { ["Roles"] = "api", ["Storage:Sqlite:Path"] = db }, _clock))
        {
            var api = intake.Authorized();
            for (var i = 0; i < 5; i++) ids.Add(await SendAsync(api, new { from = "s@example.com", to = $"u{i}@dest.test", text = $"m{i}" }));
        }

        var client = Start(new() { ["Storage:Sqlite:Path"] = db });
        foreach (var id in ids) await WaitAsync(client, id, m => m.GetProperty("status").GetString() == "delivered");

        Assert.Equal(5, server.Messages.Count);
        Assert.Equal(1, server.ConnectionCount);
    }
}
