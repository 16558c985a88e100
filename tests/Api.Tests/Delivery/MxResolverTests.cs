using System.Net;
using EmailApi.Delivery;
using EmailApi.TestKit;
using Microsoft.Extensions.Options;

namespace EmailApi.Tests.Delivery;

/// <summary><see cref="MxResolver"/> alone against a real DNS server on loopback serving test zones.</summary>
public sealed class MxResolverTests : IDisposable
{
    private readonly DnsTestServer _dns = new();

    public void Dispose() => _dns.Dispose();

    private MxResolver Resolver(int maxHosts = 5) => new(Options.Create(new DeliveryOptions
    {
        DnsServers = [_dns.Endpoint],
        DnsTimeout = TimeSpan.FromMilliseconds(500),
        MaxMxHosts = maxHosts,
    }));

    [Fact]
    public async Task Resolve_SeveralMx_InPreferenceOrderWithTheirAddresses()
    {
        _dns.Mx("dest.test", 20, "backup.dest.test").Mx("dest.test", 10, "mx.dest.test")
            .A("mx.dest.test", "127.0.0.2").A("backup.dest.test", "127.0.0.3");

        var route = Assert.IsType<MxRoute.Hosts>(await Resolver().ResolveAsync("dest.test", CancellationToken.None));

        Assert.Equal(["mx.dest.test", "backup.dest.test"], route.List.Select(h => h.Name));
        Assert.Equal([IPAddress.Parse("127.0.0.2")], route.List[0].Addresses);
        Assert.Equal([10, 20], route.List.Select(h => h.Preference));
    }

    [Fact]
    public async Task Resolve_EqualPreferences_AreAllKeptAndShuffled()
    {
        foreach (var i in Enumerable.Range(1, 4)) _dns.Mx("dest.test", 10, $"mx{i}.dest.test").A($"mx{i}.dest.test", $"127.0.0.{i + 1}");
        var resolver = Resolver();

        var firsts = new HashSet<string>();
        for (var round = 0; round < 40 && firsts.Count < 2; round++)
        {
            var route = Assert.IsType<MxRoute.Hosts>(await resolver.ResolveAsync("dest.test", CancellationToken.None));
            Assert.Equal(4, route.List.Count);
            firsts.Add(route.List[0].Name);
        }

        Assert.True(firsts.Count >= 2, "equal preferences always came in the same order");
    }

    [Fact]
    public async Task Resolve_MoreMxThanTheCap_KeepsTheMostPreferred()
    {
        foreach (var i in Enumerable.Range(1, 7)) _dns.Mx("dest.test", i, $"mx{i}.dest.test").A($"mx{i}.dest.test", $"127.0.0.{i + 1}");

        var route = Assert.IsType<MxRoute.Hosts>(await Resolver(maxHosts: 3).ResolveAsync("dest.test", CancellationToken.None));

        Assert.Equal(["mx1.dest.test", "mx2.dest.test", "mx3.dest.test"], route.List.Select(h => h.Name));
    }

    [Fact]
    public async Task Resolve_NoMxButAnAddress_FallsBackToTheDomainItself()
    {
        _dns.A("dest.test", "127.0.0.4");

        var route = Assert.IsType<MxRoute.Hosts>(await Resolver().ResolveAsync("dest.test", CancellationToken.None));

        var host = Assert.Single(route.List);
        Assert.Equal(("dest.test", 0), (host.Name, host.Preference));
        Assert.Equal([IPAddress.Parse("127.0.0.4")], host.Addresses);
    }

    public static TheoryData<string, Action<DnsTestServer>, Type, string> Failures => new()
    {
        { "null MX (RFC 7505)", d => d.NullMx("dest.test"), typeof(MxRoute.NoMail), "5.1.10" },
        { "NXDOMAIN", d => d.NxDomain("dest.test"), typeof(MxRoute.NoMail), "5.1.2" },
        { "SERVFAIL", d => d.ServFail("dest.test"), typeof(MxRoute.TryLater), "4.4.3" },
        { "no answer (timeout)", d => d.Silent("dest.test"), typeof(MxRoute.TryLater), "4.4.3" },
        { "MX host without an address", d => d.Mx("dest.test", 10, "ghost.dest.test"), typeof(MxRoute.TryLater), "4.4.3" },
        { "MX host whose address lookup fails", d => d.Mx("dest.test", 10, "mx.dest.test").ServFail("mx.dest.test"), typeof(MxRoute.TryLater), "4.4.3" },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task Resolve_Failure_IsOurOwnVerdictWithItsStatus(string zone, Action<DnsTestServer> setUp, Type expected, string status)
    {
        setUp(_dns);

        var route = await Resolver().ResolveAsync("dest.test", CancellationToken.None);

        Assert.True(route.GetType() == expected, $"{zone}: {route}");
        var reply = route switch { MxRoute.NoMail n => n.Reason, MxRoute.TryLater t => t.Reason, _ => throw new InvalidOperationException() };
        Assert.Null(reply.Code);   // no server answered
        Assert.Equal(status, reply.EnhancedStatus);
        Assert.Contains("dest.test", reply.Text);
    }

    [Fact]
    public async Task Resolve_InvalidName_FailsWithoutAsking()
    {
        var route = Assert.IsType<MxRoute.NoMail>(await Resolver().ResolveAsync(new string('a', 64) + ".test", CancellationToken.None));

        Assert.Equal("5.1.2", route.Reason.Status);
        Assert.Equal(0, _dns.QueryCount);
    }
}
