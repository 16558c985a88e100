using EmailApi.Delivery.MtaSts;
using EmailApi.Tests.Storage;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Delivery.MtaSts;

/// <summary>The policy cache's contract, run once per storage engine.</summary>
public abstract class MtaStsPolicyStoreTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private StoreEngine? _engine;

    private IMtaStsPolicyStore Store => (_engine ?? throw new InvalidOperationException("Not initialised.")).MtaStsPolicies;

    protected abstract Task<StoreEngine> CreateEngineAsync(FakeTimeProvider clock);

    public async Task InitializeAsync() => _engine = await CreateEngineAsync(_clock);

    public async Task DisposeAsync()
    {
        if (_engine is not null) await _engine.DisposeAsync();
    }

    [Fact]
    public async Task Save_ThenFind_ReturnsThePolicyAndItsTimes()
    {
        var now = _clock.GetUtcNow();
        await Store.SaveAsync(new CachedMtaStsPolicy("dest.test", Policy("enforce", "mx.dest.test", "id1"), now, now.AddDays(1)), CancellationToken.None);

        var found = await Store.FindAsync("dest.test", CancellationToken.None);

        Assert.NotNull(found);
        Assert.Equal(MtaStsMode.Enforce, found.Policy.Mode);
        Assert.Equal(["mx.dest.test"], found.Policy.Mx);
        Assert.Equal("id1", found.Policy.Id);
        Assert.Equal(now, found.FetchedAt);
        Assert.Equal(now.AddDays(1), found.ExpiresAt);
        Assert.Null(await Store.FindAsync("other.test", CancellationToken.None));
    }

    [Fact]
    public async Task Save_ANewerPolicy_ReplacesTheOld()
    {
        var now = _clock.GetUtcNow();
        await Store.SaveAsync(new CachedMtaStsPolicy("dest.test", Policy("testing", "mx.dest.test", "id1"), now, now.AddDays(1)), CancellationToken.None);
        await Store.SaveAsync(new CachedMtaStsPolicy("dest.test", Policy("enforce", "*.dest.test", "id2"), now.AddHours(1), now.AddDays(2)), CancellationToken.None);

        var found = await Store.FindAsync("dest.test", CancellationToken.None);

        Assert.Equal(MtaStsMode.Enforce, found!.Policy.Mode);
        Assert.Equal(["*.dest.test"], found.Policy.Mx);
        Assert.Equal("id2", found.Policy.Id);
        Assert.Equal(now.AddDays(2), found.ExpiresAt);
    }

    private static MtaStsPolicy Policy(string mode, string mx, string id) =>
        ((MtaStsParse.Valid)MtaStsPolicy.Parse($"version: STSv1\nmode: {mode}\nmx: {mx}\nmax_age: 86400\n", id)).Policy;
}
