using EmailApi.Accounts;
using EmailApi.Queue;
using EmailApi.Tests.Storage;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Queue;

/// <summary>The console's reads (<see cref="IQueueInsights"/>) and the webhook delivery log on every engine, each scoped to its account.</summary>
public abstract class QueueInsightsStoreTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 1, 12, 30, 0, TimeSpan.Zero));
    private StoreEngine? _engine;
    private string _a = "", _b = "";

    private StoreEngine Engine => _engine ?? throw new InvalidOperationException("Not initialised.");

    protected abstract Task<StoreEngine> CreateEngineAsync(FakeTimeProvider clock);

    public async Task InitializeAsync()
    {
        _engine = await CreateEngineAsync(_clock);
        _a = (await Engine.Accounts.CreateAccountAsync("a", AccountLimits.Unlimited, [], CancellationToken.None))!.Id;
        _b = (await Engine.Accounts.CreateAccountAsync("b", AccountLimits.Unlimited, [], CancellationToken.None))!.Id;
    }

    public async Task DisposeAsync()
    {
        if (_engine is not null) await _engine.DisposeAsync();
    }

    private async Task<NewMessage> SendAsync(string account, params string[] recipients)
    {
        var message = new NewMessage(MessageId.New(_clock), account, MessageSource.Api, "s@example.com", recipients,
            "Subject: hello\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n"u8.ToArray(), "s@example.com", "hello", [], null, _clock.GetUtcNow());
        await Engine.Queue.EnqueueAsync([message], CancellationToken.None);
        return message;
    }

    /// <summary>Attempts every due recipient once: addresses at <paramref name="deferDomain"/> are deferred with <paramref name="reply"/>, the others delivered.</summary>
    private async Task AttemptAllAsync(string deferDomain, string reply)
    {
        var lease = await Engine.Queue.LeaseAsync(100, TimeSpan.FromMinutes(5), CancellationToken.None);
        await Engine.Queue.RecordAsync(lease.Token, lease.Recipients.Select(r => r.Domain == deferDomain
            ? new RecipientResult(r.Id, r.MessageId, RecipientStatus.Deferred, SmtpReply.FromServer(int.Parse(reply[..3]), reply[4..]), "mx." + r.Domain, _clock.GetUtcNow().AddMinutes(10))
            : new RecipientResult(r.Id, r.MessageId, RecipientStatus.Delivered, SmtpReply.FromServer(250, "2.0.0 Ok"), "mx." + r.Domain, null)).ToArray(), [], CancellationToken.None);
    }

    [Fact]
    public async Task Activity_CountsTheAccountsEventsInTheWindow_ByKind()
    {
        await SendAsync(_a, "old@one.test");
        _clock.Advance(TimeSpan.FromDays(2));
        await SendAsync(_a, "x@one.test", "y@slow.test");
        await SendAsync(_b, "z@one.test");
        await AttemptAllAsync("slow.test", "451 4.7.1 try later");

        // What happened in the window: old@ was accepted two days ago but delivered within the last day.
        var day = await Engine.Insights.ActivityAsync(_a, _clock.GetUtcNow().AddHours(-24), CancellationToken.None);
        Assert.Equal(2, day.Accepted);
        Assert.Equal(2, day.Count(RecipientStatus.Delivered));
        Assert.Equal(1, day.Count(RecipientStatus.Deferred));
        var month = await Engine.Insights.ActivityAsync(_a, _clock.GetUtcNow().AddDays(-30), CancellationToken.None);
        Assert.Equal(3, month.Accepted);
        Assert.Equal(2, month.Count(RecipientStatus.Delivered));
        Assert.Equal(1, (await Engine.Insights.ActivityAsync(_b, _clock.GetUtcNow().AddDays(-30), CancellationToken.None)).Accepted);
    }

    [Fact]
    public async Task Hourly_GroupsTheAccountsAcceptedRecipientsByHour()
    {
        var start = new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
        await SendAsync(_a, "x@one.test");
        await SendAsync(_a, "x@one.test", "y@one.test");
        _clock.Advance(TimeSpan.FromHours(1));
        await SendAsync(_a, "x@one.test");
        await SendAsync(_b, "x@one.test");
        await AttemptAllAsync("none.test", "");

        var hours = await Engine.Insights.HourlyAsync(_a, start, CancellationToken.None);
        Assert.Equal(new Dictionary<DateTimeOffset, long> { [start] = 3, [start.AddHours(1)] = 1 }, hours);
        // Rolled up, the same.
        _clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(start.AddHours(3), await Engine.Insights.RollUpAsync(CancellationToken.None));
        Assert.Equal(new Dictionary<DateTimeOffset, long> { [start] = 3, [start.AddHours(1)] = 1 }, await Engine.Insights.HourlyAsync(_a, start, CancellationToken.None));
    }

    [Fact]
    public async Task Activity_MatchesADirectCountOfTheEvents_AsTheHoursRollUp()
    {
        var random = new Random(19);
        var begin = _clock.GetUtcNow();
        for (var step = 0; step < 60; step++)
        {
            // Traffic for both accounts, deliveries and deferrals, spread over 60 steps of 47 minutes (hours close as it goes).
            for (var i = random.Next(1, 4); i > 0; i--)
                await SendAsync(random.Next(3) == 0 ? _b : _a, $"r{step}-{i}@one.test", $"s{step}-{i}@slow.test");
            if (step % 3 == 0) await AttemptAllAsync(random.Next(2) == 0 ? "slow.test" : "none.test", "451 4.7.1 later");
            _clock.Advance(TimeSpan.FromMinutes(47));
            var now = _clock.GetUtcNow();
            foreach (var since in new[] { now.AddHours(-24), now.AddDays(-30), now.AddMinutes(-90), begin.AddMinutes(13) })
            foreach (var account in new[] { _a, _b })
            {
                var activity = await Engine.Insights.ActivityAsync(account, since, CancellationToken.None);
                Assert.Equal(await DirectCountAsync(account, since), activity.ByKind.Where(e => e.Value != 0).OrderBy(e => e.Key));
            }
        }
        // The roll-up did the work: every hour that closed more than the grace ago is in it.
        var mark = await Engine.Insights.RollUpAsync(CancellationToken.None);
        Assert.True(mark > _clock.GetUtcNow() - TimeSpan.FromHours(1) - SqlQueueInsights.RollupGrace, $"mark {mark}");
    }

    [Fact]
    public async Task RolledUpHours_KeepTheirCounts_AfterTheEventsAreGone_AndConcurrentRollUpsCountOnce()
    {
        await SendAsync(_a, "x@one.test", "y@one.test");
        await AttemptAllAsync("none.test", "");
        _clock.Advance(TimeSpan.FromHours(2));
        // Several readers roll up at once (each on its own connection): the hour is counted once.
        var marks = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Engine.Insights.RollUpAsync(CancellationToken.None)));
        Assert.All(marks, m => Assert.Equal(marks[0], m));
        await SendAsync(_a, "z@one.test");
        await using (var connection = await Engine.OpenConnectionAsync())
            await Dapper.SqlMapper.ExecuteAsync(connection, "DELETE FROM events WHERE created_at < @Mark", new { Mark = marks[0].ToUnixTimeMilliseconds() });

        var activity = await Engine.Insights.ActivityAsync(_a, _clock.GetUtcNow().AddDays(-1), CancellationToken.None);
        Assert.Equal((3L, 2L), (activity.Accepted, activity.Count(RecipientStatus.Delivered)));
    }

    private async Task<IEnumerable<KeyValuePair<string, long>>> DirectCountAsync(string account, DateTimeOffset since)
    {
        await using var connection = await Engine.OpenConnectionAsync();
        var rows = await Dapper.SqlMapper.QueryAsync<(string Kind, long Count)>(connection, """
            SELECT e.type, COUNT(*) FROM events e JOIN messages m ON m.id = e.message_id
            WHERE m.account_id = @Account AND e.created_at >= @Since GROUP BY e.type
            """, new { Account = account, Since = since.ToUnixTimeMilliseconds() });
        return rows.Select(r => KeyValuePair.Create(r.Kind, r.Count)).OrderBy(e => e.Key).ToArray();
    }

    [Fact]
    public async Task Overview_ShowsDueWork_DeferralsByDomainWithTheLatestReply_AndTheOldestWaiting()
    {
        var first = await SendAsync(_a, "x@slow.test", "y@slow.test", "z@one.test");
        await AttemptAllAsync("slow.test", "451 4.7.1 greylisted");
        _clock.Advance(TimeSpan.FromMinutes(1));
        await SendAsync(_b, "w@other.test");

        var overview = await Engine.Insights.OverviewAsync(10, CancellationToken.None);
        Assert.Equal(1, overview.Due);   // the new message; the deferred ones wait 10 minutes
        Assert.Equal(2, overview.Live[RecipientStatus.Deferred]);
        Assert.Equal(first.CreatedAt.ToUnixTimeMilliseconds(), overview.OldestLive!.Value.ToUnixTimeMilliseconds());
        var slow = Assert.Single(overview.Deferred);
        Assert.Equal(("slow.test", 2L, "451 4.7.1 greylisted"), (slow.Domain, slow.Recipients, slow.LastResponse));
        Assert.Equal(first.CreatedAt.AddMinutes(10).ToUnixTimeMilliseconds(), slow.NextAttemptAt!.Value.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task Source_AndRetryNow_AreTheAccountsOnly()
    {
        var message = await SendAsync(_a, "x@slow.test");
        await AttemptAllAsync("slow.test", "421 4.4.2 timeout");

        Assert.Equal(message.Raw, (await Engine.Insights.SourceAsync(_a, message.Id, CancellationToken.None))!.Bytes);
        Assert.Null(await Engine.Insights.SourceAsync(_b, message.Id, CancellationToken.None));
        Assert.Equal(0, await Engine.Insights.RetryNowAsync(_b, message.Id, CancellationToken.None));
        Assert.Equal(_clock.GetUtcNow().AddMinutes(10), await Engine.Counts.EarliestDueAsync(CancellationToken.None));

        Assert.Equal(1, await Engine.Insights.RetryNowAsync(_a, message.Id, CancellationToken.None));
        Assert.Equal(_clock.GetUtcNow(), await Engine.Counts.EarliestDueAsync(CancellationToken.None));
    }

    [Fact]
    public async Task RecentWebhookAttempts_ShowTheAccountsDeliveries_WithLastErrorAndNextRetry()
    {
        await Engine.Webhooks.CreateAsync(_a, "http://127.0.0.1:1/hook", ["queued"], "whsec_a", CancellationToken.None);
        var message = await SendAsync(_a, "x@one.test");
        await Engine.Webhooks.FanOutAsync(100, CancellationToken.None);
        var delivery = Assert.Single(await Engine.Webhooks.LeaseAsync(10, TimeSpan.FromMinutes(1), CancellationToken.None));
        var retryAt = _clock.GetUtcNow().AddMinutes(5);
        await Engine.Webhooks.RecordFailureAsync(delivery, "HTTP 503", retryAt, _clock.GetUtcNow().AddDays(-3), CancellationToken.None);

        var attempt = Assert.Single(await Engine.Webhooks.RecentAttemptsAsync(_a, 10, CancellationToken.None));
        Assert.Equal(("http://127.0.0.1:1/hook", message.Id.ToString(), "pending", 1, "HTTP 503"),
            (attempt.Url, attempt.MessageId, attempt.Status, attempt.Attempts, attempt.LastError));
        Assert.Equal(retryAt, attempt.NextAttemptAt);
        Assert.Empty(await Engine.Webhooks.RecentAttemptsAsync(_b, 10, CancellationToken.None));
    }
}

public sealed class SqliteQueueInsightsStoreTests : QueueInsightsStoreTests
{
    protected override Task<StoreEngine> CreateEngineAsync(FakeTimeProvider clock) => SqliteStoreEngine.CreateAsync(clock);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresQueueInsightsStoreTests(EmailApi.TestKit.PostgresServer server) : QueueInsightsStoreTests
{
    protected override async Task<StoreEngine> CreateEngineAsync(FakeTimeProvider clock) =>
        await PostgresStoreEngine.CreateAsync(server, clock, CancellationToken.None);
}
