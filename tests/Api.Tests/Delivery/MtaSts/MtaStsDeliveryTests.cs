using EmailApi.TestKit;

namespace EmailApi.Tests.Delivery.MtaSts;

/// <summary>
/// MTA-STS end to end through the sender: the test DNS server publishes the <c>_mta-sts</c> TXT record,
/// the MX and the policy host; a Kestrel server serves the policy over HTTPS and the receiving server
/// offers STARTTLS, both with certificates from a test CA the service trusts through a test-only setting.
/// </summary>
public sealed class MtaStsDeliveryTests : IAsyncLifetime
{
    private static readonly object Simple = new { from = "Sender <sender@example.com>", to = "user@dest.test", subject = "Hello", text = "Hi" };
    private readonly TestCertificateAuthority _ca = new();
    private readonly int _policyPort = FakeSmtpServer.FreePort();
    private PolicyServer _policy = null!;

    public async Task InitializeAsync() =>
        _policy = await PolicyServer.StartAsync("127.0.0.9", _policyPort, _ca.Issue("mta-sts.dest.test"));

    public async Task DisposeAsync()
    {
        await _policy.DisposeAsync();
        _ca.Dispose();
    }

    [Fact]
    public async Task Enforce_MatchingMxWithValidCertificate_DeliversOverTlsAndRecordsThePolicy()
    {
        await using var h = Harness();
        var server = Receiver(h, mode: "enforce", mx: "mx.dest.test", certificateFor: "mx.dest.test");

        var message = await h.WaitForStatusAsync(await h.SendAsync(Simple), "delivered");

        Assert.True(Assert.Single(server.Messages).OverTls);
        Assert.Contains("MTA-STS enforce (id 20261204)", DeliveryHarness.Recipient(message, "user@dest.test").GetProperty("lastResponse").GetString());
        Assert.Equal(1, _policy.Requests);
    }

    [Fact]
    public async Task Enforce_MxNotInPolicy_DefersWithoutDialling()
    {
        await using var h = Harness();
        var server = Receiver(h, mode: "enforce", mx: "*.other.test", certificateFor: "mx.dest.test");

        var message = await h.WaitForStatusAsync(await h.SendAsync(Simple), "deferred");

        var reply = DeliveryHarness.Recipient(message, "user@dest.test").GetProperty("lastResponse").GetString();
        Assert.Contains("4.7.5 No MX host of dest.test matches its MTA-STS enforce", reply);
        Assert.Equal(0, server.ConnectionCount);
    }

    [Fact]
    public async Task Enforce_CertificateForAnotherName_DefersWithoutSending()
    {
        await using var h = Harness();
        var server = Receiver(h, mode: "enforce", mx: "mx.dest.test", certificateFor: "somewhere-else.test");

        var message = await h.WaitForStatusAsync(await h.SendAsync(Simple), "deferred");

        var reply = DeliveryHarness.Recipient(message, "user@dest.test").GetProperty("lastResponse").GetString();
        Assert.Contains("4.7.5 mx.dest.test does not meet the MTA-STS enforce (id 20261204) of dest.test: certificate-host-mismatch", reply);
        Assert.Empty(server.Messages);
        Assert.DoesNotContain(server.Transcript, l => l.StartsWith("C: MAIL"));
    }

    [Fact]
    public async Task Enforce_ServerWithoutStartTls_Defers()
    {
        await using var h = Harness();
        var server = Receiver(h, mode: "enforce", mx: "mx.dest.test", certificateFor: "mx.dest.test");
        server.OfferStartTls = false;

        var message = await h.WaitForStatusAsync(await h.SendAsync(Simple), "deferred");

        Assert.Contains("starttls-not-supported", DeliveryHarness.Recipient(message, "user@dest.test").GetProperty("lastResponse").GetString());
        Assert.Empty(server.Messages);
    }

    [Fact]
    public async Task Testing_CertificateForAnotherName_DeliversAndCountsTheFailure()
    {
        await using var h = Harness();
        var server = Receiver(h, mode: "testing", mx: "mx.dest.test", certificateFor: "somewhere-else.test");

        var message = await h.WaitForStatusAsync(await h.SendAsync(Simple), "delivered");

        Assert.Single(server.Messages);
        Assert.Contains("MTA-STS testing (id 20261204)", DeliveryHarness.Recipient(message, "user@dest.test").GetProperty("lastResponse").GetString());
        var metrics = await h.Client.GetStringAsync("/metrics");
        Assert.Contains("emailapi_tls_sessions_total{domain=\"dest.test\",policy=\"testing\",result=\"certificate-host-mismatch\"} 1", metrics);
    }

    [Fact]
    public async Task PolicyHostOnLoopback_WithoutAllowPrivateNetworks_IsNotFetchedAndMailGoesAsWithoutPolicy()
    {
        await using var h = Harness(allowPrivate: false);
        var server = Receiver(h, mode: "enforce", mx: "*.other.test", certificateFor: "mx.dest.test");

        await h.WaitForStatusAsync(await h.SendAsync(Simple), "delivered");

        Assert.Single(server.Messages);
        Assert.Equal(0, _policy.Requests);
        Assert.Contains("emailapi_tls_sessions_total{domain=\"dest.test\",policy=\"none\",result=\"sts-policy-fetch-error\"} 1", await h.Client.GetStringAsync("/metrics"));
    }

    [Fact]
    public async Task Policy_SecondDeliveryWithSameTxtId_UsesTheCachedPolicy()
    {
        await using var h = Harness();
        var server = Receiver(h, mode: "enforce", mx: "mx.dest.test", certificateFor: "mx.dest.test");

        await h.WaitForStatusAsync(await h.SendAsync(Simple), "delivered");
        await h.WaitForStatusAsync(await h.SendAsync(Simple), "delivered");

        Assert.Equal(2, server.Messages.Count);
        Assert.Equal(1, _policy.Requests);
    }

    private DeliveryHarness Harness(bool allowPrivate = true) => new(new()
    {
        ["Domains:RequireVerified"] = "false",
        ["Delivery:MtaSts:AllowPrivateNetworks"] = allowPrivate ? "true" : "false",
        ["Delivery:MtaSts:TrustedRootsFile"] = _ca.RootFile,
        ["Delivery:MtaSts:PolicyPort"] = _policyPort.ToString(),
        // No connection outlives its delivery, so each delivery is checked against the policy afresh.
        ["Delivery:ConnectionCacheTime"] = "00:00:00",
    });

    private FakeSmtpServer Receiver(DeliveryHarness h, string mode, string mx, string certificateFor)
    {
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2")
            .Txt("_mta-sts.dest.test", "v=STSv1; id=20261204")
            .A("mta-sts.dest.test", "127.0.0.9");
        _policy.Policy = $"version: STSv1\nmode: {mode}\nmx: {mx}\nmax_age: 86400\n";
        var server = h.Server("127.0.0.2");
        server.OfferStartTls = true;
        server.ServerCertificate = _ca.Issue(certificateFor);
        return server;
    }
}
