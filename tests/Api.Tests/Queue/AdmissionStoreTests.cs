using System.Collections.Concurrent;
using EmailApi.Accounts;
using EmailApi.Queue;
using EmailApi.Tests.Storage;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Queue;

/// <summary>
/// Quotas and idempotency keys as the enqueue transaction enforces them, on every engine, including
/// several writers (nodes) racing for the same quota or key.
/// </summary>
public abstract class AdmissionStoreTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2030, 1, 31, 23, 58, 30, TimeSpan.Zero));
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

    private NewMessage Message(int recipients, SendLimits? limits) => new(MessageId.New(_clock), _account, MessageSource.Api, "s@example.com",
        Enumerable.Range(0, recipients).Select(i => $"r{i}@one.test").ToArray(), "Subject: x\r\n\r\nbody\r\n"u8.ToArray(), "s@example.com", "x", [], null,
        _clock.GetUtcNow(), limits);

    private IdempotencyClaim Claim(string key, byte hash = 1) =>
        new(_account, key, [hash], _clock.GetUtcNow().AddHours(24), results => new StoredResponse(202, "/v1/messages/x", $"{{\"n\":{results.Count}}}"));

    [Fact]
    public async Task Enqueue_OverMonthlyQuota_RefusesWithUsageAndReset()
    {
        var limits = new SendLimits(3, null, null);
        Assert.IsType<EnqueueResult.Stored>((await Engine.Queue.EnqueueAsync([Message(2, limits)], CancellationToken.None)).Single());

        var refused = Assert.IsType<EnqueueResult.LimitReached>((await Engine.Queue.EnqueueAsync([Message(2, limits)], CancellationToken.None)).Single());

        Assert.Equal((LimitPeriod.Month, 3L, 2L), (refused.Period, refused.Limit, refused.Used));
        Assert.Equal(new DateTimeOffset(2030, 2, 1, 0, 0, 0, TimeSpan.Zero), refused.ResetsAt);
        Assert.IsType<EnqueueResult.Stored>((await Engine.Queue.EnqueueAsync([Message(1, limits)], CancellationToken.None)).Single());
        Assert.Equal(3, (await Engine.Accounts.GetUsageAsync(_account, CancellationToken.None))[LimitPeriod.Month]);
    }

    [Fact]
    public async Task Enqueue_RefusedByTheMonth_UndoesTheMinuteAndHourCounts()
    {
        var limits = new SendLimits(2, 100, 100);
        await Engine.Queue.EnqueueAsync([Message(2, limits)], CancellationToken.None);

        Assert.IsType<EnqueueResult.LimitReached>((await Engine.Queue.EnqueueAsync([Message(1, limits)], CancellationToken.None)).Single());

        var usage = await Engine.Accounts.GetUsageAsync(_account, CancellationToken.None);
        Assert.Equal((2L, 2L, 2L), (usage[LimitPeriod.Minute], usage[LimitPeriod.Hour], usage[LimitPeriod.Month]));
    }

    [Fact]
    public async Task Enqueue_FromSeveralNodesRacingForTheLastUnits_NeverPassesTheQuota()
    {
        var limits = new SendLimits(25, null, null);
        var nodes = Enumerable.Range(0, 4).Select(_ => Engine.OpenAnotherNode(_clock)).ToArray();
        var stored = 0;

        await Task.WhenAll(nodes.Select(node => Task.Run(async () =>
        {
            for (var i = 0; i < 15; i++)
            {
                // Two single-message requests per batch, as a group commit would hand over.
                var outcomes = await node.EnqueueAsync([new EnqueueRequest([Message(1, limits)]), new EnqueueRequest([Message(1, limits)])], CancellationToken.None);
                Interlocked.Add(ref stored, outcomes.Count(o => o is EnqueueOutcome.Done { Results: [EnqueueResult.Stored] }));
            }
        })));

        Assert.Equal(25, stored);
        Assert.Equal(25, (await Engine.Accounts.GetUsageAsync(_account, CancellationToken.None))[LimitPeriod.Month]);
    }

    [Fact]
    public async Task Enqueue_SameKeyFromSeveralNodesAtOnce_StoresOneMessageAndAnswersTheOthersFromTheKey()
    {
        var nodes = Enumerable.Range(0, 4).Select(_ => Engine.OpenAnotherNode(_clock)).ToArray();
        var outcomes = new ConcurrentBag<EnqueueOutcome>();

        await Task.WhenAll(nodes.Select(node => Task.Run(async () =>
        {
            foreach (var outcome in await node.EnqueueAsync([new EnqueueRequest([Message(1, null)], Claim("order-1042"))], CancellationToken.None))
                outcomes.Add(outcome);
        })));

        Assert.Single(outcomes.OfType<EnqueueOutcome.Done>());
        var duplicates = outcomes.OfType<EnqueueOutcome.Duplicate>().ToArray();
        Assert.Equal(3, duplicates.Length);
        Assert.All(duplicates, d => Assert.Equal((202, "/v1/messages/x", "{\"n\":1}"), (d.Response.StatusCode, d.Response.Location, d.Response.Body)));
        Assert.Single((await Engine.Queue.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None)).Recipients);
    }

    [Fact]
    public async Task Enqueue_RequestRefusedAsAWhole_LeavesNoKeySoItsRetryCanSucceed()
    {
        var limits = new SendLimits(1, null, null);
        var refused = await Engine.Queue.EnqueueAsync([new EnqueueRequest([Message(2, limits)], Claim("k"))], CancellationToken.None);
        Assert.IsType<EnqueueResult.LimitReached>(Assert.IsType<EnqueueOutcome.Done>(refused.Single()).Results.Single());

        var retried = await Engine.Queue.EnqueueAsync([new EnqueueRequest([Message(1, limits)], Claim("k"))], CancellationToken.None);

        Assert.IsType<EnqueueResult.Stored>(Assert.IsType<EnqueueOutcome.Done>(retried.Single()).Results.Single());
    }

    [Fact]
    public async Task Enqueue_ExpiredKey_IsTakenOverByTheNewRequest()
    {
        await Engine.Queue.EnqueueAsync([new EnqueueRequest([Message(1, null)], Claim("k", hash: 1))], CancellationToken.None);
        _clock.Advance(TimeSpan.FromHours(25));

        var again = await Engine.Queue.EnqueueAsync([new EnqueueRequest([Message(1, null)], Claim("k", hash: 2))], CancellationToken.None);
        var duplicate = await Engine.Queue.EnqueueAsync([new EnqueueRequest([Message(1, null)], Claim("k", hash: 2))], CancellationToken.None);

        Assert.IsType<EnqueueOutcome.Done>(again.Single());
        Assert.Equal([2], Assert.IsType<EnqueueOutcome.Duplicate>(duplicate.Single()).RequestHash);
    }
}
