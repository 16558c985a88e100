using EmailApi.Delivery.MtaSts;
using EmailApi.TestKit;
using EmailApi.Tests.Storage;
using EmailApi.TlsReports;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.TlsReports;

/// <summary>The shared TLS report counts' contract, run once per storage engine.</summary>
public abstract class TlsReportStoreTests : IAsyncLifetime
{
    private static readonly DateOnly Day = new(2026, 12, 3);
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 4, 0, 5, 0, TimeSpan.Zero));
    private StoreEngine? _engine;

    private StoreEngine Engine => _engine ?? throw new InvalidOperationException("Not initialised.");

    protected abstract Task<StoreEngine> CreateEngineAsync(FakeTimeProvider clock);

    public async Task InitializeAsync() => _engine = await CreateEngineAsync(_clock);

    public async Task DisposeAsync()
    {
        if (_engine is not null) await _engine.DisposeAsync();
    }

    [Fact]
    public async Task TwoNodesCount_OneClaimsTheDay_TheSecondClaimFails()
    {
        var ct = CancellationToken.None;
        var first = Engine.TlsReports;
        var second = Engine.OpenAnotherTlsReportNode();
        var policy = Policy("enforce", "mx.dest.test", "id1");
        await first.AddAsync(Day, new TlsResultKey("dest.test", "success", null), policy, ct);
        await second.AddAsync(Day, new TlsResultKey("dest.test", "success", null), policy, ct);
        await second.AddAsync(Day, new TlsResultKey("dest.test", "certificate-expired", "mx.dest.test"), policy, ct);
        await first.AddAsync(Day.AddDays(1), new TlsResultKey("dest.test", "success", null), policy, ct);   // today: not due yet

        var due = Assert.Single(await second.DueAsync(Day.AddDays(1), ct));
        Assert.Equal(new TlsReportDay(Day, "dest.test"), due);
        Assert.True(await first.TryClaimAsync(due, "node-a", _clock.GetUtcNow(), ct));
        Assert.False(await second.TryClaimAsync(due, "node-b", _clock.GetUtcNow(), ct));
        Assert.Empty(await second.DueAsync(Day.AddDays(1), ct));

        var counts = await first.CountsAsync(due, ct);
        Assert.Equal(2, Assert.Single(counts, c => c.Result == "success").Sessions);
        var failure = Assert.Single(counts, c => c.Result == "certificate-expired");
        Assert.Equal(("mx.dest.test", 1L, "sts"), (failure.Mx, failure.Sessions, failure.PolicyType));
        Assert.Equal(["mx.dest.test"], failure.Policy()!.Mx);

        await first.DeleteCountsAsync(due, ct);
        Assert.Empty(await first.CountsAsync(due, ct));
        Assert.Single(await first.CountsAsync(new TlsReportDay(Day.AddDays(1), "dest.test"), ct));
    }

    [Fact]
    public async Task NoPolicy_IsCountedAsNoPolicyFound_AndPurgeDeletesOldDays()
    {
        var ct = CancellationToken.None;
        var store = Engine.TlsReports;
        await store.AddAsync(Day, new TlsResultKey("plain.test", "starttls-not-supported", "mx.plain.test"), null, ct);
        var due = new TlsReportDay(Day, "plain.test");

        var count = Assert.Single(await store.CountsAsync(due, ct));
        Assert.Equal(("no-policy-found", "", (MtaStsPolicy?)null), (count.PolicyType, count.PolicyId, count.Policy()));

        await store.PurgeAsync(Day.AddDays(1), ct);
        Assert.Empty(await store.CountsAsync(due, ct));
        Assert.Empty(await store.DueAsync(Day.AddDays(2), ct));
    }

    private static MtaStsPolicy Policy(string mode, string mx, string id) =>
        ((MtaStsParse.Valid)MtaStsPolicy.Parse($"version: STSv1\nmode: {mode}\nmx: {mx}\nmax_age: 86400\n", id)).Policy;
}

public sealed class SqliteTlsReportStoreTests : TlsReportStoreTests
{
    protected override Task<StoreEngine> CreateEngineAsync(FakeTimeProvider clock) => SqliteStoreEngine.CreateAsync(clock);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresTlsReportStoreTests(PostgresServer server) : TlsReportStoreTests
{
    protected override async Task<StoreEngine> CreateEngineAsync(FakeTimeProvider clock) =>
        await PostgresStoreEngine.CreateAsync(server, clock, CancellationToken.None);
}
