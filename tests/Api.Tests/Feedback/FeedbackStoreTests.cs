using EmailApi.Feedback;
using EmailApi.TestKit;
using EmailApi.Tests.Storage;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Feedback;

/// <summary>The feedback store's contract on every engine.</summary>
public abstract class FeedbackStoreTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private StoreEngine? _engine;

    private IFeedbackStore Store => (_engine ?? throw new InvalidOperationException("Not initialised.")).Feedback;

    protected abstract Task<StoreEngine> CreateEngineAsync(FakeTimeProvider clock);

    public async Task InitializeAsync() => _engine = await CreateEngineAsync(_clock);

    public async Task DisposeAsync()
    {
        if (_engine is not null) await _engine.DisposeAsync();
    }

    [Fact]
    public async Task Key_FirstWriterWins_EveryLaterCallerGetsTheSameKey()
    {
        var first = await Store.KeyAsync("verp", "sealed-one", _clock.GetUtcNow(), CancellationToken.None);
        var second = await Store.KeyAsync("verp", "sealed-two", _clock.GetUtcNow(), CancellationToken.None);

        Assert.Equal("sealed-one", first);
        Assert.Equal("sealed-one", second);
    }

    [Fact]
    public async Task Key_RacingCallers_AllAgreeOnOne()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            Store.KeyAsync("verp", $"sealed-{i}", _clock.GetUtcNow(), CancellationToken.None)));

        Assert.Single(results.Distinct());
    }
}

public sealed class SqliteFeedbackStoreTests : FeedbackStoreTests
{
    protected override Task<StoreEngine> CreateEngineAsync(FakeTimeProvider clock) => Task.FromResult<StoreEngine>(new SqliteStoreEngine(clock));
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresFeedbackStoreTests(PostgresServer server) : FeedbackStoreTests
{
    protected override async Task<StoreEngine> CreateEngineAsync(FakeTimeProvider clock) =>
        await PostgresStoreEngine.CreateAsync(server, clock, CancellationToken.None);
}
