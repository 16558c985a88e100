using System.Net;
using System.Text.Json;
using EmailApi.Feedback;
using EmailApi.Tests.Accounts;
using EmailApi.Tests.Delivery;
using EmailApi.Tests.Domains;
using EmailApi.TestKit;
using MailKit.Net.Smtp;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace EmailApi.Tests.Feedback;

/// <summary>
/// The whole host with the inbound listener (role <c>mx</c>) on a real DNS server and receiving SMTP
/// servers: <c>dest.test</c> receives at 127.0.0.2. Accounts send from verified domains, so their
/// mail leaves with a VERP return path, and reports go to the inbound listener over SMTP as a
/// remote MTA would send them.
/// </summary>
internal sealed class InboundHarness : IAsyncDisposable
{
    public InboundHarness(IReadOnlyDictionary<string, string?> storage, IReadOnlyDictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Roles"] = "api,smtp,sender,mx",
            ["Inbound:Port"] = "0",
            ["Inbound:PollInterval"] = "00:00:00.100",
            ["Inbound:SoftBouncesToSuppress"] = "2",
            ["Delivery:PublicAddresses:0"] = "127.0.0.1",
            ["Inbound:HostName"] = "mx.relay.test",
            ["Http:PublicBaseUrl"] = "https://mail.relay.test/",
            ["Domains:MinVerifyInterval"] = "00:00:00",
            ["Webhooks:PollInterval"] = "00:00:00.100",
            ["Webhooks:AllowPrivateNetworks"] = "true",   // the receiver is on loopback
        };
        foreach (var (key, value) in storage) settings[key] = value;
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>()) settings[key] = value;
        H = new DeliveryHarness(settings);
        H.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        // Listening before anything is sent: a copy refused for want of it would wait for its first retry.
        Destination = H.Server("127.0.0.2");
    }

    public DeliveryHarness H { get; }

    /// <summary>The MX of <c>dest.test</c>, where the mail the tests send arrives.</summary>
    public FakeSmtpServer Destination { get; }

    public int InboundPort => H.App.Services.GetRequiredService<InboundListener>().EndPoint!.Port;

    /// <summary>A new account with <paramref name="domainName"/> verified.</summary>
    public async Task<TestAccount> VerifiedAccountAsync(string account = "shop", string domainName = "shop.test")
    {
        var created = await new AdminApi(H.App).CreateAccountAsync(account);
        var domain = await DomainsApi.CreateAsync(created.Client, domainName);
        DomainsApi.Publish(H.Dns, domain);
        await DomainsApi.VerifyAsync(created.Client, domain.GetProperty("id").GetString()!);
        return created;
    }

    /// <summary>A shop with a verified domain sends to <paramref name="to"/>; returns its client and the return path the MX saw.</summary>
    public async Task<(HttpClient Shop, string ReturnPath, string Id)> SendFromVerifiedDomainAsync(string to, string account = "shop", string domainName = "shop.test")
    {
        var mx = Destination;
        var shop = await VerifiedAccountAsync(account, domainName);
        var sent = await shop.SendAsync(new { from = $"news@{domainName}", to, subject = "Deals", text = "x" });
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        var received = await mx.WaitForMessageAsync(TimeSpan.FromSeconds(30));
        Assert.StartsWith("b+", received.From);
        var id = (await TestApp.ReadJsonAsync(sent)).GetProperty("id").GetString()!;
        await WaitForRecipientAsync(shop.Client, id, "delivered", TimeSpan.FromSeconds(30));
        return (shop.Client, received.From, id);
    }

    public async Task SendReportAsync(string rcpt, MimeMessage report)
    {
        using var client = new SmtpClient { Timeout = 15_000 };
        await client.ConnectAsync("127.0.0.1", InboundPort, MailKit.Security.SecureSocketOptions.None);
        await client.SendAsync(report, new MailboxAddress("", "postmaster@relay.example.net"), [MailboxAddress.Parse(rcpt)]);
        await client.DisconnectAsync(true);
    }

    public static async Task<JsonElement?> WaitForSuppressionAsync(HttpClient shop, string address, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            var page = await TestApp.ReadJsonAsync(await shop.GetAsync("/v1/suppressions"));
            foreach (var item in page.GetProperty("items").EnumerateArray())
                if (item.GetProperty("email").GetString() == address) return item;
            await Task.Delay(100);
        }
        return null;
    }

    /// <summary>The inbound reports once at least <paramref name="count"/> are processed (all of them when the time runs out).</summary>
    public async Task<IReadOnlyList<InboundReportView>> WaitForProcessedAsync(int count, TimeSpan timeout)
    {
        var store = H.App.Services.GetRequiredService<IFeedbackStore>();
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            var all = await store.ListAsync(null, null, null, null, 100, CancellationToken.None);
            if (all.Count(r => r.State == "processed") >= count || DateTime.UtcNow > until) return all;
            await Task.Delay(100);
        }
    }

    /// <summary>The message's first recipient once its status is <paramref name="status"/>.</summary>
    public static async Task<JsonElement> WaitForRecipientAsync(HttpClient shop, string id, string status, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            var recipient = (await TestApp.ReadJsonAsync(await shop.GetAsync($"/v1/messages/{id}"))).GetProperty("recipients")[0];
            if (recipient.GetProperty("status").GetString() == status) return recipient;
            if (DateTime.UtcNow > until) throw new TimeoutException($"The recipient is still {recipient}");
            await Task.Delay(100);
        }
    }

    /// <summary>The default storage (a new SQLite file).</summary>
    public static Task<IReadOnlyDictionary<string, string?>> SqliteStorageAsync() => Task.FromResult<IReadOnlyDictionary<string, string?>>(new Dictionary<string, string?>());

    /// <summary>A new database on the shared test PostgreSQL server.</summary>
    public static async Task<IReadOnlyDictionary<string, string?>> PostgresStorageAsync(PostgresServer server) => new Dictionary<string, string?>
    {
        ["Storage:Provider"] = "Postgres",
        ["Storage:Postgres:ConnectionString"] = await server.CreateDatabaseAsync(CancellationToken.None),
    };

    public ValueTask DisposeAsync() => H.DisposeAsync();
}
