using System.Net;
using System.Net.Http.Json;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using EmailApi.Events;
using EmailApi.TestKit;
using Microsoft.Data.Sqlite;

namespace EmailApi.Tests.Events;

/// <summary>One API host (no sender role, so nothing is ever dialled) shared by the creation table below.</summary>
public sealed class WebhookGuardApp : IDisposable
{
    public TestApp App { get; } = new();
    public HttpClient Client => _client ??= App.Authorized();
    private HttpClient? _client;

    public void Dispose() => App.Dispose();
}

public sealed class WebhookAddressGuardTests(WebhookGuardApp fixture) : IClassFixture<WebhookGuardApp>
{
    private static readonly IReadOnlyCollection<IPAddress> NoOwnAddresses = [];

    // Every form from issue #15 and one address from each special-purpose block: refused at creation.
    [Theory]
    [InlineData("http://localhost./hook")]
    [InlineData("http://LOCALHOST:8080/hook")]
    [InlineData("http://localhost.:8080/hook")]
    [InlineData("http://metadata.localhost/")]
    [InlineData("http://app.localhost./")]
    [InlineData("http://[::ffff:127.0.0.1]/hook")]
    [InlineData("http://[::ffff:7f00:1]/hook")]
    [InlineData("http://[::ffff:169.254.169.254]/latest/meta-data")]
    [InlineData("http://[64:ff9b::7f00:1]/hook")]
    [InlineData("http://[64:ff9b::a9fe:a9fe]/hook")]
    [InlineData("http://[64:ff9b::c0a8:101]/hook")]
    [InlineData("http://[64:ff9b:1::8.8.8.8]/hook")]
    [InlineData("http://[2002:7f00:1::]/hook")]
    [InlineData("http://[2002:a00:1::1]/hook")]
    [InlineData("http://[2002:c000:201::1]/hook")]
    [InlineData("http://[::127.0.0.1]/hook")]
    [InlineData("http://[::8.8.8.8]/hook")]
    [InlineData("http://[::]/hook")]
    [InlineData("http://[::1]/hook")]
    [InlineData("http://[0:0:0:0:0:0:0:1]/hook")]
    [InlineData("http://0x7f.1/hook")]
    [InlineData("http://0x7f000001/hook")]
    [InlineData("http://2130706433/hook")]
    [InlineData("http://0177.0.0.1/hook")]
    [InlineData("http://127.1/hook")]
    [InlineData("http://0/hook")]
    [InlineData("http://0.0.0.0/hook")]
    [InlineData("http://127.0.0.1/hook")]
    [InlineData("http://127.255.255.254/hook")]
    [InlineData("http://10.0.0.1/hook")]
    [InlineData("http://100.64.0.1/hook")]
    [InlineData("http://100.127.255.254/hook")]
    [InlineData("http://169.254.169.254/latest/meta-data")]
    [InlineData("http://172.16.0.1/hook")]
    [InlineData("http://172.31.255.254/hook")]
    [InlineData("http://192.0.0.9/hook")]
    [InlineData("http://192.0.0.170/hook")]
    [InlineData("http://192.0.0.200/hook")]
    [InlineData("http://192.0.2.1/hook")]
    [InlineData("http://192.31.196.1/hook")]
    [InlineData("http://192.52.193.1/hook")]
    [InlineData("http://192.88.99.1/hook")]
    [InlineData("http://192.168.1.1/hook")]
    [InlineData("http://192.175.48.1/hook")]
    [InlineData("http://198.18.0.1/hook")]
    [InlineData("http://198.19.255.254/hook")]
    [InlineData("http://198.51.100.7/hook")]
    [InlineData("http://203.0.113.9/hook")]
    [InlineData("http://224.0.0.1/hook")]
    [InlineData("http://239.255.255.250/hook")]
    [InlineData("http://240.0.0.1/hook")]
    [InlineData("http://255.255.255.255/hook")]
    [InlineData("http://[100::1]/hook")]
    [InlineData("http://[100:0:0:1::1]/hook")]
    [InlineData("http://[2001::1]/hook")]
    [InlineData("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook")]
    [InlineData("http://[2001:1::1]/hook")]
    [InlineData("http://[2001:2::1]/hook")]
    [InlineData("http://[2001:3::1]/hook")]
    [InlineData("http://[2001:4:112::1]/hook")]
    [InlineData("http://[2001:10::1]/hook")]
    [InlineData("http://[2001:20::1]/hook")]
    [InlineData("http://[2001:30::1]/hook")]
    [InlineData("http://[2001:1ff::1]/hook")]
    [InlineData("http://[2001:db8::1]/hook")]
    [InlineData("http://[2620:4f:8000::1]/hook")]
    [InlineData("http://[3fff::1]/hook")]
    [InlineData("http://[3fff:fff::1]/hook")]
    [InlineData("http://[5f00::1]/hook")]
    [InlineData("http://[fc00::1]/hook")]
    [InlineData("http://[fd00::2]/hook")]
    [InlineData("http://[fe80::1]/hook")]
    [InlineData("http://[febf::1]/hook")]
    [InlineData("http://[fec0::1]/hook")]
    [InlineData("http://[ff02::1]/hook")]
    [InlineData("https://[ff0e::1]:8443/hook")]
    public async Task Create_WithAnInternalAddress_Returns400NamingTheUrl(string url)
    {
        var response = await fixture.Client.PostAsJsonAsync("/v1/webhooks", new { url });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await TestApp.ReadJsonAsync(response);
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        var error = problem.GetProperty("errors").GetProperty("url")[0].GetString()!;
        Assert.Contains("refused", error);
        Assert.Contains(new Uri(url).Host, error);
    }

    // Ordinary global addresses, and NAT64 / 6to4 / mapped forms that lead to one, are accepted (never dialled: no sender role here).
    [Theory]
    [InlineData("http://93.184.216.34/hook")]
    [InlineData("https://[2606:4700::1111]/hook")]
    [InlineData("http://[::ffff:93.184.216.34]/hook")]
    [InlineData("http://[64:ff9b::5db8:d822]/hook")]
    [InlineData("http://[2002:5db8:d822::1]/hook")]
    [InlineData("http://172.32.0.1/hook")]
    [InlineData("http://100.128.0.1/hook")]
    public async Task Create_WithAPublicAddress_IsAccepted(string url)
    {
        var response = await fixture.Client.PostAsJsonAsync("/v1/webhooks", new { url });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = (await TestApp.ReadJsonAsync(response)).GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.NoContent, (await fixture.Client.DeleteAsync($"/v1/webhooks/{id}")).StatusCode);
    }

    [Theory]
    [InlineData("8.8.8.8", true)]
    [InlineData("93.184.216.34", true)]
    [InlineData("2606:4700::1111", true)]
    [InlineData("::ffff:8.8.8.8", true)]
    [InlineData("64:ff9b::808:808", true)]
    [InlineData("2002:808:808::1", true)]
    [InlineData("127.0.0.1", false)]
    [InlineData("::ffff:10.0.0.1", false)]
    [InlineData("64:ff9b::7f00:1", false)]
    [InlineData("2002:7f00:1::", false)]
    [InlineData("::7f00:1", false)]
    [InlineData("192.0.2.1", false)]
    [InlineData("2001:db8::1", false)]
    [InlineData("fe80::1%2", false)]
    public void Judge_Table(string address, bool allowed) =>
        Assert.Equal(allowed, WebhookAddressGuard.Judge(IPAddress.Parse(address), NoOwnAddresses) is WebhookAddressVerdict.Allowed);

    [Theory]
    [InlineData("93.184.216.34", "93.184.216.34")]
    [InlineData("::ffff:93.184.216.34", "93.184.216.34")]
    [InlineData("64:ff9b::5db8:d822", "93.184.216.34")]
    [InlineData("2002:5db8:d822::1", "93.184.216.34")]
    [InlineData("2606:4700::1111", "2606:4700::1111")]
    public void Judge_AnOrdinaryAddressOfThisMachine_IsRefused(string dialled, string own)
    {
        var verdict = WebhookAddressGuard.Judge(IPAddress.Parse(dialled), [IPAddress.Parse(own)]);

        var refused = Assert.IsType<WebhookAddressVerdict.Refused>(verdict);
        Assert.Contains("this machine", refused.Reason);
    }

    [Fact]
    public void Judge_EveryAddressOfThisMachinesInterfaces_IsRefused()
    {
        var own = NetworkInterface.GetAllNetworkInterfaces().SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(u => u.Address).ToArray();
        Assert.NotEmpty(own);
        Assert.All(own, a => Assert.IsType<WebhookAddressVerdict.Refused>(WebhookAddressGuard.Judge(a, own)));
    }

    [Fact]
    public async Task Check_ANameResolvingToAnAddressOfThisMachine_IsRefusedAtCreation()
    {
        using var dns = new DnsTestServer();
        dns.A("hooks.customer.test", "93.184.216.34").A("public.customer.test", "93.184.216.35");
        var guard = new WebhookAddressGuard(new WebhookOptions { DnsServers = [dns.Endpoint] }, () => [IPAddress.Parse("93.184.216.34")]);

        var refused = Assert.IsType<WebhookAddressVerdict.Refused>(await guard.CheckAsync(new Uri("https://hooks.customer.test/x"), CancellationToken.None));
        Assert.Contains("93.184.216.34 is an address of this machine", refused.Reason);
        Assert.IsType<WebhookAddressVerdict.Allowed>(await guard.CheckAsync(new Uri("https://public.customer.test/x"), CancellationToken.None));
    }

    [Fact]
    public async Task Connect_ToAnInternalAddressByDefault_IsRefusedBeforeDialling()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var guard = new WebhookAddressGuard(new WebhookOptions(), () => []);
        using var http = new HttpClient(new SocketsHttpHandler { ConnectCallback = guard.ConnectAsync });

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync($"http://[::ffff:127.0.0.1]:{port}/"));

        Assert.Contains("Refused to connect", error.Message + error.InnerException?.Message);
        Assert.False(listener.Pending(), "a connection reached the listener");
    }

    /// <summary>
    /// DNS rebinding: the name does not resolve when the endpoint is added, and by the time an event
    /// is due it resolves to an address of this machine. The dispatcher must refuse to dial it and
    /// record the failure; the receiver behind that address hears nothing.
    /// </summary>
    [Fact]
    public async Task Dispatch_ToANameNowResolvingToThisMachine_IsRefusedAndRecorded_NothingReachesTheReceiver()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var port = new Uri(receiver.Url).Port;
        using var dns = new DnsTestServer();
        using var app = new TestApp(new Dictionary<string, string?>
        {
            ["Roles"] = "api,sender",
            ["Delivery:DnsServers:0"] = dns.Endpoint,
            ["Delivery:Port"] = FakeSmtpServer.FreePort().ToString(),
            ["Webhooks:DnsServers:0"] = dns.Endpoint,
            ["Webhooks:PollInterval"] = "00:00:00.100",
            ["Webhooks:RetryDelays:0"] = "00:00:00.200",
        });
        var client = app.Authorized();
        var hook = await client.PostAsJsonAsync("/v1/webhooks", new { url = $"http://hooks.rebind.test:{port}/hook", events = new[] { "queued" } });
        Assert.Equal(HttpStatusCode.Created, hook.StatusCode);

        // Now the name points at this machine: the loopback address the receiver listens on and, when
        // the machine has one, an address of another interface (both are this machine's own).
        dns.A("hooks.rebind.test", "127.0.0.1");
        if (OwnNonLoopbackIPv4() is { } own) dns.A("hooks.rebind.test", own.ToString());
        var send = await client.PostAsJsonAsync("/v1/send", new { from = "s@example.com", to = "user@dest.test", text = "x" });
        Assert.Equal(HttpStatusCode.Accepted, send.StatusCode);

        var error = await WaitForDeliveryErrorAsync(app, TimeSpan.FromSeconds(30));
        Assert.Contains("Refused to connect to hooks.rebind.test", error);
        Assert.Contains("127.0.0.1", error);
        Assert.Equal(0, receiver.Attempts);
    }

    private static IPAddress? OwnNonLoopbackIPv4() =>
        NetworkInterface.GetAllNetworkInterfaces().SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(u => u.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));

    private static async Task<string> WaitForDeliveryErrorAsync(TestApp app, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        await using var db = new SqliteConnection($"Data Source={Path.Combine(app.Directory, "queue.db")};Pooling=False");
        await db.OpenAsync();
        while (true)
        {
            await using var command = db.CreateCommand();
            command.CommandText = "SELECT last_error FROM webhook_deliveries WHERE last_error IS NOT NULL LIMIT 1";
            if (await command.ExecuteScalarAsync() is string error) return error;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The dispatcher recorded no failed delivery.");
            await Task.Delay(100);
        }
    }
}
