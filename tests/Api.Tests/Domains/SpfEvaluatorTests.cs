using System.Net;
using EmailApi.Delivery;
using EmailApi.Domains;
using EmailApi.TestKit;
using Microsoft.Extensions.Options;

namespace EmailApi.Tests.Domains;

/// <summary>RFC 7208 check_host() against a real DNS server on loopback serving each case's zone.</summary>
public sealed class SpfEvaluatorTests : IDisposable
{
    private readonly DnsTestServer _dns = new();
    private readonly SpfEvaluator _spf;

    public SpfEvaluatorTests()
    {
        _dns.A("mx1.spf.test", "192.0.2.10").Mx("mxed.spf.test", 10, "mx1.spf.test")
            .A("host.spf.test", "198.51.100.7").A("host.spf.test", "2001:db8::7")
            .Txt("inc-pass.spf.test", "v=spf1 ip4:192.0.2.0/24 -all")
            .Txt("inc-fail.spf.test", "v=spf1 -all")
            .Txt("redir.spf.test", "v=spf1 ip4:203.0.113.9 -all");
        for (var i = 0; i < 12; i++)
            _dns.Txt($"chain{i}.spf.test", i == 11 ? "v=spf1 ip4:192.0.2.1 -all" : $"v=spf1 include:chain{i + 1}.spf.test -all");
        _spf = new SpfEvaluator(new DnsLookup(
            Options.Create(new DeliveryOptions { DnsServers = [_dns.Endpoint] }),
            Options.Create(new DomainsOptions { DnsTimeout = TimeSpan.FromSeconds(1) })));
    }

    public void Dispose() => _dns.Dispose();

    [Theory]
    [InlineData("v=spf1 ip4:192.0.2.1 -all", "192.0.2.1", SpfVerdict.Pass)]
    [InlineData("v=spf1 ip4:192.0.2.0/24 -all", "192.0.2.200", SpfVerdict.Pass)]
    [InlineData("v=spf1 ip4:192.0.2.0/24 -all", "192.0.3.1", SpfVerdict.Fail)]
    [InlineData("v=spf1 ip4:192.0.2.0/24 ~all", "192.0.3.1", SpfVerdict.SoftFail)]
    [InlineData("v=spf1 ip4:192.0.2.0/24 ?all", "192.0.3.1", SpfVerdict.Neutral)]
    [InlineData("v=spf1 ip4:192.0.2.0/24", "192.0.3.1", SpfVerdict.Neutral)]
    [InlineData("v=spf1 -ip4:192.0.2.1 +all", "192.0.2.1", SpfVerdict.Fail)]
    [InlineData("v=spf1 ip6:2001:db8::/32 -all", "2001:db8::1", SpfVerdict.Pass)]
    [InlineData("v=spf1 ip6:2001:db8::/32 -all", "192.0.2.1", SpfVerdict.Fail)]
    [InlineData("v=spf1 a:host.spf.test -all", "198.51.100.7", SpfVerdict.Pass)]
    [InlineData("v=spf1 a:host.spf.test/24 -all", "198.51.100.99", SpfVerdict.Pass)]
    [InlineData("v=spf1 a:host.spf.test -all", "2001:db8::7", SpfVerdict.Pass)]
    [InlineData("v=spf1 mx:mxed.spf.test -all", "192.0.2.10", SpfVerdict.Pass)]
    [InlineData("v=spf1 mx:mxed.spf.test -all", "192.0.2.11", SpfVerdict.Fail)]
    [InlineData("v=spf1 include:inc-pass.spf.test -all", "192.0.2.1", SpfVerdict.Pass)]
    [InlineData("v=spf1 include:inc-fail.spf.test ~all", "192.0.2.1", SpfVerdict.SoftFail)]
    [InlineData("v=spf1 include:nothing.spf.test -all", "192.0.2.1", SpfVerdict.PermError)]
    [InlineData("v=spf1 redirect=redir.spf.test", "203.0.113.9", SpfVerdict.Pass)]
    [InlineData("v=spf1 redirect=redir.spf.test", "192.0.2.1", SpfVerdict.Fail)]
    [InlineData("v=spf1 include:chain0.spf.test -all", "192.0.2.1", SpfVerdict.PermError)]   // 12 includes deep: over the 10-lookup limit
    [InlineData("v=spf1 include:chain3.spf.test -all", "192.0.2.1", SpfVerdict.Pass)]        // 9 lookups: inside it
    [InlineData("v=spf1 a:v1.spf.test a:v2.spf.test a:v3.spf.test -all", "192.0.2.1", SpfVerdict.PermError)]   // 3 void lookups
    [InlineData("v=spf1 exists:%{i}.host.spf.test -all", "192.0.2.1", SpfVerdict.Fail)]
    [InlineData("v=spf1 bogus:x -all", "192.0.2.1", SpfVerdict.PermError)]
    [InlineData("v=spf1 ip4:192.0.2.1 include:slow.spf.test -all", "192.0.2.1", SpfVerdict.Pass)]   // matched before the slow include
    [InlineData("v=spf1 include:slow.spf.test ip4:192.0.2.1 -all", "192.0.2.1", SpfVerdict.TempError)]
    public async Task Check_Record_GivesRfc7208Result(string record, string ip, SpfVerdict expected)
    {
        var domain = $"d{Guid.NewGuid():N}.spf.test";
        _dns.Txt(domain, record).Silent("slow.spf.test");

        var result = await _spf.CheckAsync(IPAddress.Parse(ip), domain, $"postmaster@{domain}", "relay.test", CancellationToken.None);

        Assert.True(expected == result.Verdict, $"{record} for {ip}: {result.Verdict} ({result.Explanation}), expected {expected}");
    }

    [Fact]
    public async Task Check_NoRecord_IsNone_AndTwoRecords_ArePermError()
    {
        _dns.Txt("two.spf.test", "v=spf1 -all").Txt("two.spf.test", "v=spf1 +all").Txt("other.spf.test", "google-site-verification=x");

        Assert.Equal(SpfVerdict.None, (await _spf.CheckAsync(IPAddress.Loopback, "other.spf.test", "a@other.spf.test", "h", CancellationToken.None)).Verdict);
        Assert.Equal(SpfVerdict.None, (await _spf.CheckAsync(IPAddress.Loopback, "absent.spf.test", "a@absent.spf.test", "h", CancellationToken.None)).Verdict);
        Assert.Equal(SpfVerdict.PermError, (await _spf.CheckAsync(IPAddress.Loopback, "two.spf.test", "a@two.spf.test", "h", CancellationToken.None)).Verdict);
    }
}
