using EmailApi.Accounts;
using EmailApi.Queue;
using EmailApi.Tests.Storage;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Retention;

/// <summary>Set-based pruning on every engine: only finished messages, in chunks, and only what is past its age.</summary>
public abstract class RetentionStoreTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private StoreEngine? _engine;
    private string _account = "";

    private StoreEngine Engine => _engine ?? throw new InvalidOperationException("Not initialised.");

    protected abstract Task<StoreEngine> CreateEngineAsync(FakeTimeProvider clock);

    public async Task InitializeAsync()
    {
        _engine = await CreateEngineAsync(_clock);
        _account = (await Engine.Accounts.CreateAccountAsync("a", AccountLimits.Unlimited, [], CancellationToken.None))!.Id;
    }

    public async Task DisposeAsync()
    {
        if (_engine is not null) await _engine.DisposeAsync();
    }

    private async Task<NewMessage> SendAsync(string to, string[]? tags = null)
    {
        var message = new NewMessage(MessageId.New(_clock), _account, MessageSource.Api, "s@example.com", [to],
            "Subject: x\r\n\r\nbody\r\n"u8.ToArray(), "s@example.com", "x", tags ?? [], null, _clock.GetUtcNow(), new SendLimits(null, null, null));
        await Engine.Queue.EnqueueAsync([message], CancellationToken.None);
        return message;
    }

    private async Task DeliverAllAsync()
    {
        var lease = await Engine.Queue.LeaseAsync(100, TimeSpan.FromMinutes(5), CancellationToken.None);
        await Engine.Queue.RecordAsync(lease.Token,
            lease.Recipients.Select(r => new RecipientResult(r.Id, r.MessageId, RecipientStatus.Delivered, SmtpReply.FromServer(250, "ok"), "mx", null)).ToArray(), [], CancellationToken.None);
    }

    [Fact]
    public async Task PruneBodies_OfFinishedOldMessages_InChunks_KeepsLiveAndRecentOnes()
    {
        await SendAsync("a@one.test");
        await SendAsync("b@one.test");
        await SendAsync("c@one.test");
        await DeliverAllAsync();
        var live = await SendAsync("d@one.test");
        _clock.Advance(TimeSpan.FromDays(31));
        var cutoff = _clock.GetUtcNow().AddDays(-30);

        Assert.Equal(2, await Engine.Retention.PruneBodiesAsync(cutoff, 2, CancellationToken.None));
        Assert.Equal(1, await Engine.Retention.PruneBodiesAsync(cutoff, 2, CancellationToken.None));
        Assert.Equal(0, await Engine.Retention.PruneBodiesAsync(cutoff, 2, CancellationToken.None));

        // The live message still has its body for the sender.
        var lease = await Engine.Queue.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None);
        Assert.Equal(live.Raw, lease.Messages[live.Id].Raw);
    }

    [Fact]
    public async Task PruneStatus_DeletesFinishedOldMessagesWithTheirRows_KeepsLiveOnes()
    {
        var old = await SendAsync("a@one.test", ["t"]);
        await DeliverAllAsync();
        var live = await SendAsync("b@one.test", ["t"]);
        _clock.Advance(TimeSpan.FromDays(91));

        Assert.Equal(1, await Engine.Retention.PruneStatusAsync(_clock.GetUtcNow().AddDays(-90), 100, CancellationToken.None));
        Assert.Equal(0, await Engine.Retention.PruneStatusAsync(_clock.GetUtcNow().AddDays(-90), 100, CancellationToken.None));

        Assert.Null(await Engine.Queue.FindMessageAsync(_account, old.Id, CancellationToken.None));
        Assert.NotNull(await Engine.Queue.FindMessageAsync(_account, live.Id, CancellationToken.None));
        var tagged = await Engine.Log.ListAsync(_account, new MessageFilter(null, null, "t", null, null, null), null, 10, CancellationToken.None);
        Assert.Equal([live.Id], tagged.Select(m => m.Id));
    }

    [Fact]
    public async Task PruneHousekeeping_DropsExpiredKeysAndPastRateWindows_KeepsTheMonth()
    {
        var claim = new IdempotencyClaim(_account, "k", [1], _clock.GetUtcNow().AddHours(24), _ => new StoredResponse(202, null, "{}"));
        await Engine.Queue.EnqueueAsync([new EnqueueRequest([MessageWithLimits()], claim)], CancellationToken.None);
        _clock.Advance(TimeSpan.FromDays(3));

        // One idempotency key, the minute and the hour window; the month window stays.
        Assert.Equal(3, await Engine.Retention.PruneHousekeepingAsync(_clock.GetUtcNow().AddDays(-30), CancellationToken.None));
        Assert.Equal(0, await Engine.Retention.PruneHousekeepingAsync(_clock.GetUtcNow().AddDays(-30), CancellationToken.None));
        Assert.Equal(1, (await Engine.Accounts.GetUsageAsync(_account, CancellationToken.None))[LimitPeriod.Month]);
    }

    private NewMessage MessageWithLimits() => new(MessageId.New(_clock), _account, MessageSource.Api, "s@example.com",
        ["x@one.test"], "Subject: x\r\n\r\nbody\r\n"u8.ToArray(), null, null, [], null, _clock.GetUtcNow(), new SendLimits(1000, 100, 10));
}
