using System.Net;
using EmailApi.Domains;
using EmailApi.Tests.Accounts;
using EmailApi.TestKit;

namespace EmailApi.Tests.Domains;

/// <summary>GET /v1/deliverability against a real DNS server: the HELO name's forward and reverse DNS.</summary>
public sealed class DeliverabilityTests : IDisposable
{
    private readonly DnsTestServer _dns = new();

    public void Dispose() => _dns.Dispose();

    private TestApp App(string helo, params string[] addresses)
    {
        var settings = new Dictionary<string, string?> { ["Delivery:DnsServers:0"] = _dns.Endpoint, ["Delivery:HeloName"] = helo, ["Domains:DnsTimeout"] = "00:00:01" };
        for (var i = 0; i < addresses.Length; i++) settings[$"Delivery:PublicAddresses:{i}"] = addresses[i];
        return new TestApp(settings);
    }

    [Fact]
    public async Task Get_ForwardConfirmedReverseDns_IsOk_WithTheAnswersSeen()
    {
        _dns.A("relay.example.test", "192.0.2.25").A("relay.example.test", "2001:db8::25")
            .Ptr("192.0.2.25", "relay.example.test").Ptr("2001:db8::25", "relay.example.test");
        using var app = App("relay.example.test", "192.0.2.25", "2001:db8::25");

        var report = await TestApp.ReadJsonAsync(await app.Authorized().GetAsync("/v1/deliverability"));

        Assert.True(report.GetProperty("ok").GetBoolean(), report.ToString());
        Assert.True(report.GetProperty("heloNameIsFullyQualified").GetBoolean());
        Assert.Equal(["192.0.2.25", "2001:db8::25"], report.GetProperty("forward").GetProperty("addresses").EnumerateArray().Select(a => a.GetString()));
        Assert.All(report.GetProperty("reverse").EnumerateArray(), r =>
        {
            Assert.Equal(["relay.example.test"], r.GetProperty("ptr").EnumerateArray().Select(p => p.GetString()));
            Assert.True(r.GetProperty("forwardConfirmed").GetBoolean());
        });
    }

    [Fact]
    public async Task Get_PtrElsewhere_AndHeloNotResolving_ListsEachProblem()
    {
        _dns.A("relay.example.test", "192.0.2.99").Ptr("192.0.2.25", "generic-25.isp.test").A("generic-25.isp.test", "198.51.100.1");
        using var app = App("relay.example.test", "192.0.2.25");

        var report = await TestApp.ReadJsonAsync(await app.Authorized().GetAsync("/v1/deliverability"));

        Assert.False(report.GetProperty("ok").GetBoolean());
        var problems = report.GetProperty("problems").EnumerateArray().Select(p => p.GetString()).ToArray();
        Assert.Contains("relay.example.test does not resolve to the public address 192.0.2.25.", problems);
        Assert.Contains("The PTR of 192.0.2.25 (generic-25.isp.test) does not resolve back to it.", problems);
        Assert.Equal(["192.0.2.99"], report.GetProperty("forward").GetProperty("addresses").EnumerateArray().Select(a => a.GetString()));
    }

    [Fact]
    public async Task Get_HeloNotFullyQualified_SaysSo()
    {
        using var app = App("mailhost", "192.0.2.25");

        var report = await TestApp.ReadJsonAsync(await app.Authorized().GetAsync("/v1/deliverability"));

        Assert.False(report.GetProperty("heloNameIsFullyQualified").GetBoolean());
        Assert.Contains(report.GetProperty("problems").EnumerateArray(), p => p.GetString()!.Contains("'mailhost' is not a fully qualified domain name"));
    }

    [Fact]
    public async Task Get_WithoutAdminScope_Is403()
    {
        using var app = App("relay.example.test");
        var user = await new AdminApi(app).CreateAccountAsync("shop");

        Assert.Equal(HttpStatusCode.Forbidden, (await user.Client.GetAsync("/v1/deliverability")).StatusCode);
    }
}
