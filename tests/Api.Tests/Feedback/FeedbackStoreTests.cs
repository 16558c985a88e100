using EmailApi.Feedback;
using EmailApi.Queue;
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

    [Fact]
    public async Task Reports_StoredPending_CompletedOnce_ListedNewestFirstWithFilters()
    {
        var first = NewReport("b+one@bounces.shop.test");
        _clock.Advance(TimeSpan.FromSeconds(1));
        var second = NewReport("b+two@bounces.shop.test");
        await Store.AddReportsAsync([first, second], CancellationToken.None);

        var pending = await Store.PendingAsync(10, CancellationToken.None);
        Assert.Equal([first.Id, second.Id], pending.Select(r => r.Id));
        Assert.Equal(first.Raw, pending[0].Raw);

        var result = new ReportResult("dsn", "valid", "acc-1", "msg-1", 42, "suppressed", "{}");
        Assert.True(await Store.CompleteAsync(first.Id, result, _clock.GetUtcNow(), CancellationToken.None));
        Assert.False(await Store.CompleteAsync(first.Id, result, _clock.GetUtcNow(), CancellationToken.None));   // another node was first
        Assert.Equal([second.Id], (await Store.PendingAsync(10, CancellationToken.None)).Select(r => r.Id));

        var all = await Store.ListAsync(null, null, null, null, 10, CancellationToken.None);
        Assert.Equal([second.Id, first.Id], all.Select(r => r.Id));
        var done = Assert.Single(await Store.ListAsync("acc-1", null, null, null, 10, CancellationToken.None));
        Assert.Equal(("processed", "dsn", "valid", "msg-1", 42L, "suppressed"), (done.State, done.Classification, done.TokenCheck, done.MessageId, done.RecipientId!.Value, done.Effect));
        Assert.Single(await Store.ListAsync(null, "msg-1", "dsn", null, 10, CancellationToken.None));
        Assert.Empty(await Store.ListAsync("acc-2", null, null, null, 10, CancellationToken.None));
        Assert.Equal([first.Id], (await Store.ListAsync(null, null, null, second.Id, 10, CancellationToken.None)).Select(r => r.Id));
    }

    private InboundReport NewReport(string rcpt) =>
        new(MessageId.New(_clock).ToString(), _clock.GetUtcNow(), "127.0.0.9", "", rcpt, System.Text.Encoding.ASCII.GetBytes("Subject: x\r\n\r\ny\r\n"));
}

public sealed class SqliteFeedbackStoreTests : FeedbackStoreTests
{
    protected override Task<StoreEngine> CreateEngineAsync(FakeTimeProvider clock) => SqliteStoreEngine.CreateAsync(clock);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresFeedbackStoreTests(PostgresServer server) : FeedbackStoreTests
{
    protected override async Task<StoreEngine> CreateEngineAsync(FakeTimeProvider clock) =>
        await PostgresStoreEngine.CreateAsync(server, clock, CancellationToken.None);
}
