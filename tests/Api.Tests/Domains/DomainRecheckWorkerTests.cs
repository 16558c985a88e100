using EmailApi.Domains;
using EmailApi.Tests.Accounts;
using EmailApi.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Domains;

/// <summary>The background re-check: unverified domains with back-off, verified ones daily; a vanished record fails the domain.</summary>
public sealed class DomainRecheckWorkerTests : IDisposable
{
    private readonly DnsTestServer _dns = new();
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));   // stored times are whole ms
    private readonly TestApp _app;

    public DomainRecheckWorkerTests() => _app = new TestApp(new()
    {
        ["Roles"] = "api,sender",
        ["Delivery:DnsServers:0"] = _dns.Endpoint,
        ["Domains:WorkerPollInterval"] = "30.00:00:00",   // past every clock step here: the test runs each pass itself
    }, _clock);

    public void Dispose()
    {
        _app.Dispose();
        _dns.Dispose();
    }

    [Fact]
    public async Task RunOnce_PublishedWithoutAskingToVerify_VerifiedOnTheNextPass_ThenDailyUntilTheRecordGoes()
    {
        var shop = await new AdminApi(_app).CreateAccountAsync("shop");
        var domain = await DomainsApi.CreateAsync(shop.Client, "shop.test");
        var id = domain.GetProperty("id").GetString()!;
        var worker = _app.Services.GetRequiredService<DomainRecheckWorker>();
        var store = _app.Services.GetRequiredService<IDomainStore>();

        Assert.Equal(0, await worker.RunOnceAsync(CancellationToken.None));   // not due yet
        _clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(1, await worker.RunOnceAsync(CancellationToken.None));   // due, nothing published
        var first = await store.FindAsync(id, null, CancellationToken.None);
        Assert.Equal((DomainStatus.Pending, 1), (first!.Status, first.CheckFailures));
        Assert.Equal(_clock.GetUtcNow().AddMinutes(5), first.NextCheckAt);

        DomainsApi.Publish(_dns, domain, "dkim");
        _clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(1, await worker.RunOnceAsync(CancellationToken.None));
        var verified = await store.FindAsync(id, null, CancellationToken.None);
        Assert.Equal(DomainStatus.Verified, verified!.Status);
        Assert.Equal(_clock.GetUtcNow().AddDays(1), verified.NextCheckAt);

        _dns.Clear(DomainsApi.Record(domain, "dkim").GetProperty("name").GetString()!);
        _clock.Advance(TimeSpan.FromHours(23));
        Assert.Equal(0, await worker.RunOnceAsync(CancellationToken.None));
        _clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(1, await worker.RunOnceAsync(CancellationToken.None));
        Assert.Equal(DomainStatus.Failed, (await store.FindAsync(id, null, CancellationToken.None))!.Status);
        Assert.Equal(["domain.verified", "domain.failed"], (await store.EventsAsync(shop.Id, null, 0, 10, CancellationToken.None)).Select(e => e.Type));
    }
}
