using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EmailApi.TestKit;
using EmailApi.Tests.Delivery.MtaSts;
using EmailApi.Tests.Storage;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.TlsReports;

/// <summary>
/// Two sender nodes on one PostgreSQL database: the sessions of a node that has since stopped still
/// count in the one report of their UTC day, which the other node sends (RFC 8460 §4.1).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresTlsReportNodesTests(PostgresServer server) : IAsyncLifetime
{
    private readonly TestCertificateAuthority _ca = new();
    private readonly int _policyPort = FakeSmtpServer.FreePort();
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private PolicyServer _policy = null!;

    public async Task InitializeAsync() =>
        _policy = await PolicyServer.StartAsync("127.0.0.9", _policyPort, _ca.Issue("mta-sts.dest.test", "reports.dest.test"));

    public async Task DisposeAsync()
    {
        await _policy.DisposeAsync();
        _ca.Dispose();
    }

    [Fact]
    public async Task SessionsOfTwoNodes_AreCountedInOneReportOfTheirDay()
    {
        using var dns = new DnsTestServer();
        var port = FakeSmtpServer.FreePort();
        await using var mx = new FakeSmtpServer(IPAddress.Parse("127.0.0.2"), port) { OfferStartTls = true, ServerCertificate = _ca.Issue("mx.dest.test") };
        dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2")
            .Txt("_mta-sts.dest.test", "v=STSv1; id=20261204")
            .A("mta-sts.dest.test", "127.0.0.9")
            .Txt("_smtp._tls.dest.test", $"v=TLSRPTv1; rua=https://reports.dest.test:{_policyPort}/tlsrpt")
            .A("reports.dest.test", "127.0.0.9");
        _policy.Policy = "version: STSv1\nmode: enforce\nmx: mx.dest.test\nmax_age: 86400\n";
        var settings = new Dictionary<string, string?>(TlsReportTests.ReportingSettings(_ca, _policyPort))
        {
            ["Roles"] = "api,sender",
            ["Storage:Provider"] = "Postgres",
            ["Storage:Postgres:ConnectionString"] = await server.CreateDatabaseAsync(CancellationToken.None),
            ["Delivery:DnsServers:0"] = dns.Endpoint,
            ["Delivery:Port"] = port.ToString(),
        };
        var day = DateOnly.FromDateTime(_clock.GetUtcNow().UtcDateTime);

        using (var first = new TestApp(settings, _clock))
            await SendAndWaitAsync(first, mx, 1);   // this node then stops before the day ends
        using var second = new TestApp(settings, _clock);
        await SendAndWaitAsync(second, mx, 2);

        _clock.Advance(TimeSpan.FromDays(1));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (_policy.Reports.IsEmpty && DateTime.UtcNow < deadline)
        {
            _clock.Advance(TimeSpan.FromMinutes(5));
            await Task.Delay(100);
        }

        var posted = Assert.Single(_policy.Reports);
        using var json = await JsonDocument.ParseAsync(new GZipStream(new MemoryStream(posted.Body), CompressionMode.Decompress));
        Assert.Equal($"{day:yyyy-MM-dd}T00:00:00Z", json.RootElement.GetProperty("date-range").GetProperty("start-datetime").GetString());
        var policy = Assert.Single(json.RootElement.GetProperty("policies").EnumerateArray());
        Assert.Equal(2, policy.GetProperty("summary").GetProperty("total-successful-session-count").GetInt64());
        Assert.Equal(0, policy.GetProperty("summary").GetProperty("total-failure-session-count").GetInt64());
    }

    private static async Task SendAndWaitAsync(TestApp app, FakeSmtpServer mx, int expected)
    {
        var response = await app.Authorized().PostAsJsonAsync("/v1/send", new { from = "sender@example.com", to = "user@dest.test", subject = $"node {expected}", text = "Hi" });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (mx.Messages.Count < expected && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Equal(expected, mx.Messages.Count);
    }
}
