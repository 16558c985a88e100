using System.IO.Compression;
using System.Text.Json;
using EmailApi.TestKit;
using Microsoft.Extensions.Time.Testing;
using EmailApi.Tests.Delivery;
using EmailApi.Tests.Delivery.MtaSts;
using MimeKit;

namespace EmailApi.Tests.TlsReports;

public sealed class TlsReportTests : IAsyncLifetime
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

    /// <summary>TLS reporting on, MTA-STS policies fetched from the test CA's policy server on loopback.</summary>
    internal static Dictionary<string, string?> ReportingSettings(TestCertificateAuthority ca, int policyPort) => new()
    {
        ["Domains:RequireVerified"] = "false",
        ["Delivery:MtaSts:AllowPrivateNetworks"] = "true",
        ["Delivery:MtaSts:TrustedRootsFile"] = ca.RootFile,
        ["Delivery:MtaSts:PolicyPort"] = policyPort.ToString(),
        ["TlsReports:Enabled"] = "true",
        ["TlsReports:OrganizationName"] = "Example Relay",
        ["TlsReports:ContactInfo"] = "tls-reports@example.com",
        ["TlsReports:From"] = "tlsrpt@example.com",
    };

    [Fact]
    public async Task Report_AfterATestingPolicyFailure_ArrivesAtTheRuaMailboxAsRfc8460Json()
    {
        await using var h = new DeliveryHarness(ReportingSettings(_ca, _policyPort), _clock);
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2")
            .Txt("_mta-sts.dest.test", "v=STSv1; id=20261204")
            .A("mta-sts.dest.test", "127.0.0.9")
            .Txt("_smtp._tls.dest.test", "v=TLSRPTv1; rua=mailto:reports@rua.test")
            .Mx("rua.test", 10, "mx.rua.test").A("mx.rua.test", "127.0.0.3");
        _policy.Policy = "version: STSv1\nmode: testing\nmx: mx.dest.test\nmax_age: 86400\n";
        var dest = h.Server("127.0.0.2");
        dest.OfferStartTls = true;
        dest.ServerCertificate = _ca.Issue("somewhere-else.test");
        var rua = h.Server("127.0.0.3");

        await h.WaitForStatusAsync(await h.SendAsync(new { from = "sender@example.com", to = "user@dest.test", subject = "Hello", text = "Hi" }), "delivered");
        var day = DateOnly.FromDateTime(_clock.GetUtcNow().UtcDateTime);
        var received = await NextDayAsync(() => rua.Messages.Count > 0 ? rua.WaitForMessageAsync(TimeSpan.FromSeconds(60)) : null);

        Assert.Equal(["reports@rua.test"], received.Recipients);
        using var mail = MimeMessage.Load(new MemoryStream(received.Data));
        Assert.Equal("dest.test", mail.Headers["TLS-Report-Domain"]);
        Assert.Equal("example.com", mail.Headers["TLS-Report-Submitter"]);
        Assert.Matches(@"^Report Domain: dest\.test Submitter: example\.com Report-ID: <[^>]+>$", mail.Subject);
        Assert.Equal("tlsrpt", mail.Body!.ContentType.Parameters["report-type"]);
        var part = Assert.Single(mail.BodyParts.OfType<MimePart>(), p => p.ContentType.MimeType == "application/tlsrpt+gzip");
        Assert.Matches(@"^example\.com!dest\.test!\d+!\d+!.+\.json\.gz$", part.FileName ?? "");
        using var gz = new MemoryStream();
        await part.Content!.DecodeToAsync(gz);
        gz.Position = 0;
        using var json = await JsonDocument.ParseAsync(new GZipStream(gz, CompressionMode.Decompress));
        var report = json.RootElement;
        Assert.Equal("Example Relay", report.GetProperty("organization-name").GetString());
        Assert.Equal("tls-reports@example.com", report.GetProperty("contact-info").GetString());
        Assert.False(string.IsNullOrEmpty(report.GetProperty("report-id").GetString()));
        // RFC 8460 §4.1: the report covers the UTC day the session happened on.
        Assert.Equal($"{day:yyyy-MM-dd}T00:00:00Z", report.GetProperty("date-range").GetProperty("start-datetime").GetString());
        Assert.Equal($"{day:yyyy-MM-dd}T23:59:59Z", report.GetProperty("date-range").GetProperty("end-datetime").GetString());
        var policy = Assert.Single(report.GetProperty("policies").EnumerateArray());
        Assert.Equal("sts", policy.GetProperty("policy").GetProperty("policy-type").GetString());
        Assert.Equal("dest.test", policy.GetProperty("policy").GetProperty("policy-domain").GetString());
        Assert.Contains("mode: testing", policy.GetProperty("policy").GetProperty("policy-string").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal(0, policy.GetProperty("summary").GetProperty("total-successful-session-count").GetInt64());
        Assert.Equal(1, policy.GetProperty("summary").GetProperty("total-failure-session-count").GetInt64());
        var failure = Assert.Single(policy.GetProperty("failure-details").EnumerateArray());
        Assert.Equal("certificate-host-mismatch", failure.GetProperty("result-type").GetString());
        Assert.Equal("mx.dest.test", failure.GetProperty("receiving-mx-hostname").GetString());
        Assert.Equal(1, failure.GetProperty("failed-session-count").GetInt64());
    }

    [Fact]
    public async Task Report_ToAnHttpsRua_IsPostedAsGzippedRfc8460Json()
    {
        await using var h = new DeliveryHarness(ReportingSettings(_ca, _policyPort), _clock);
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2")
            .Txt("_mta-sts.dest.test", "v=STSv1; id=20261204")
            .A("mta-sts.dest.test", "127.0.0.9")
            .Txt("_smtp._tls.dest.test", $"v=TLSRPTv1; rua=https://reports.dest.test:{_policyPort}/tlsrpt")
            .A("reports.dest.test", "127.0.0.9");
        _policy.Policy = "version: STSv1\nmode: enforce\nmx: mx.dest.test\nmax_age: 86400\n";
        var dest = h.Server("127.0.0.2");
        dest.OfferStartTls = true;
        dest.ServerCertificate = _ca.Issue("mx.dest.test");

        await h.WaitForStatusAsync(await h.SendAsync(new { from = "sender@example.com", to = "user@dest.test", subject = "Hello", text = "Hi" }), "delivered");
        await NextDayAsync(() => _policy.Reports.IsEmpty ? null : Task.FromResult(true));

        Assert.True(_policy.Reports.TryPeek(out var posted), "no TLS report was posted");
        Assert.Equal("application/tlsrpt+gzip", posted.ContentType);
        using var json = await JsonDocument.ParseAsync(new GZipStream(new MemoryStream(posted.Body), CompressionMode.Decompress));
        var policy = Assert.Single(json.RootElement.GetProperty("policies").EnumerateArray());
        Assert.Equal("dest.test", policy.GetProperty("policy").GetProperty("policy-domain").GetString());
        Assert.Equal(1, policy.GetProperty("summary").GetProperty("total-successful-session-count").GetInt64());
        Assert.Equal(0, policy.GetProperty("summary").GetProperty("total-failure-session-count").GetInt64());
        Assert.Empty(policy.GetProperty("failure-details").EnumerateArray());
    }

    /// <summary>
    /// Moves the clock into the next UTC day, then on by the check interval until <paramref name="arrived"/>
    /// returns a task (the session's count is written to the database off the delivery path, so the
    /// first look after midnight may come before it).
    /// </summary>
    private async Task<T> NextDayAsync<T>(Func<Task<T>?> arrived)
    {
        _clock.Advance(TimeSpan.FromDays(1));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (arrived() is { } done) return await done;
            _clock.Advance(TimeSpan.FromMinutes(5));
            await Task.Delay(100);
        }
        throw new TimeoutException("No TLS report arrived");
    }
}
