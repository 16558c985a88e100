using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using EmailApi.Queue;
using EmailApi.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EmailApi.Tests.Delivery;

/// <summary>
/// The real host with the sender role, a real DNS server on loopback and receiving SMTP servers on
/// other loopback addresses sharing one port (the delivery port is one setting, like port 25).
/// </summary>
public sealed class DeliveryHarness : IAsyncDisposable
{
    private readonly List<FakeSmtpServer> _servers = [];

    public DeliveryHarness(Dictionary<string, string?>? settings = null, TimeProvider? clock = null, Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? services = null)
    {
        Dns = new DnsTestServer();
        Port = FakeSmtpServer.FreePort();
        var all = new Dictionary<string, string?>
        {
            ["Roles"] = "api,sender",
            ["Delivery:DnsServers:0"] = Dns.Endpoint,
            ["Delivery:Port"] = Port.ToString(),
        };
        foreach (var (k, v) in settings ?? []) all[k] = v;
        App = new TestApp(all, clock, s =>
        {
            // Only this provider hears the sender's Information lines; the rest stay at the test default.
            s.AddLogging(b => b.AddProvider(Log).AddFilter<SenderLog>("EmailApi.Delivery", LogLevel.Information));
            services?.Invoke(s);
        });
    }

    public DnsTestServer Dns { get; }

    /// <summary>What the sender logged; the receiving servers quote it when a message they wait for never comes.</summary>
    public SenderLog Log { get; } = new();
    public int Port { get; }
    public TestApp App { get; }
    public HttpClient Client => _client ??= App.Authorized();
    private HttpClient? _client;

    public FakeSmtpServer Server(string address)
    {
        var server = new FakeSmtpServer(IPAddress.Parse(address), Port) { Diagnosis = Log.ToString };
        _servers.Add(server);
        return server;
    }

    public async Task<string> SendAsync(object message)
    {
        var response = await Client.PostAsJsonAsync("/v1/send", message);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await TestApp.ReadJsonAsync(response)).GetProperty("id").GetString()!;
    }

    /// <summary>
    /// COUNT messages, one recipient each (user{i}@DOMAIN), straight into the queue as the group
    /// commit stores them, without the HTTP API's cost per message. Nothing wakes the sender.
    /// </summary>
    public async Task QueueDirectlyAsync(string domain, int count)
    {
        var account = (await TestApp.ReadJsonAsync(await Client.GetAsync("/v1/account"))).GetProperty("id").GetString()!;
        var clock = App.Services.GetRequiredService<TimeProvider>();
        var store = App.Services.GetRequiredService<IQueueStore>();
        var raw = Encoding.ASCII.GetBytes($"From: sender@example.com\r\nSubject: to {domain}\r\n\r\nbody\r\n");
        foreach (var chunk in Enumerable.Range(0, count).Chunk(500))
            await store.EnqueueAsync(chunk.Select(i => new NewMessage(MessageId.New(clock), account, MessageSource.Api, "sender@example.com",
                [$"user{i}@{domain}"], raw, "sender@example.com", domain, [], null, clock.GetUtcNow())).ToArray(), CancellationToken.None);
    }

    public async Task<JsonElement> GetAsync(string id) => await TestApp.ReadJsonAsync(await Client.GetAsync($"/v1/messages/{id}"));

    /// <summary>Polls the status API until every recipient has left queued/sending (or the expected state is reached).</summary>
    public async Task<JsonElement> WaitForAsync(string id, Func<JsonElement, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var message = await GetAsync(id);
            if (done(message)) return message;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Message {id} never reached the expected state: {message}");
            await Task.Delay(100);
        }
    }

    public Task<JsonElement> WaitForStatusAsync(string id, string status) =>
        WaitForAsync(id, m => m.GetProperty("status").GetString() == status);

    /// <summary>Until the sender has asked the queue for work <paramref name="rounds"/> more times: all that was due by now has been seen.</summary>
    public Task WaitForSenderRoundsAsync(int rounds = 2) => SenderRounds.WaitAsync(App.Services, rounds);

    /// <summary>Until no recipient is queued, sending or deferred: every job has recorded its results, nothing more will be sent.</summary>
    public Task WaitForQueueDrainedAsync() => SenderRounds.WaitForDrainAsync(App.Services);

    public static JsonElement Recipient(JsonElement message, string email) =>
        message.GetProperty("recipients").EnumerateArray().Single(r => r.GetProperty("email").GetString() == email);

    public async ValueTask DisposeAsync()
    {
        App.Dispose();
        foreach (var server in _servers) await server.DisposeAsync();
        Dns.Dispose();
    }
}
