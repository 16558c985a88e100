using EmailApi.Queue;
using EmailApi.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Queue;

public sealed class SqliteQueueStoreTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "emailapi-store", Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly SqliteQueueStore _store;
    private readonly string _account;

    public SqliteQueueStoreTests()
    {
        var db = new SqliteDb(Options.Create(new StorageOptions { Sqlite = { Path = Path.Combine(_dir, "q.db") } }));
        new SqliteMigrations(db, _clock, NullLogger<SqliteMigrations>.Instance).Apply();
        _store = new SqliteQueueStore(db, _clock);
        _account = new EmailApi.Accounts.SqliteAccountStore(db, _clock).CreateAccountAsync("a", EmailApi.Accounts.AccountLimits.Unlimited, [], CancellationToken.None).Result!.Id;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private NewMessage Message(params string[] recipients) => new(MessageId.New(_clock), _account, MessageSource.Api, "s@example.com",
        recipients, "Subject: x\r\n\r\nbody\r\n"u8.ToArray(), "s@example.com", "x", [], null, _clock.GetUtcNow());

    [Fact]
    public async Task Enqueue_ThenLease_ReturnsEachRecipientWithItsMessage()
    {
        var message = Message("a@one.test", "b@two.test");
        await _store.EnqueueAsync([message], CancellationToken.None);

        var lease = await _store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None);

        Assert.Equal(["a@one.test", "b@two.test"], lease.Recipients.Select(r => r.Address).Order());
        Assert.Equal(["one.test", "two.test"], lease.Recipients.Select(r => r.Domain).Order());
        Assert.Equal(message.Raw, lease.Messages[message.Id].Raw);
        Assert.Empty((await _store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None)).Recipients);
    }

    [Fact]
    public async Task Lease_AfterLeaseExpires_HandsRecipientOutAgain()
    {
        await _store.EnqueueAsync([Message("a@one.test")], CancellationToken.None);
        var first = await _store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None);

        _clock.Advance(TimeSpan.FromMinutes(4));
        Assert.Empty((await _store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None)).Recipients);
        _clock.Advance(TimeSpan.FromMinutes(2));
        var second = await _store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None);

        Assert.Equal(first.Recipients.Single().Id, second.Recipients.Single().Id);
        Assert.NotEqual(first.Token, second.Token);
    }

    [Fact]
    public async Task Record_WithLostLease_IsIgnored()
    {
        var message = Message("a@one.test");
        await _store.EnqueueAsync([message], CancellationToken.None);
        var first = await _store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None);
        _clock.Advance(TimeSpan.FromMinutes(6));
        var second = await _store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None);
        var id = first.Recipients.Single().Id;

        await _store.RecordAsync(first.Token, [new RecipientResult(id, message.Id, RecipientStatus.Bounced, "550 late", "mx", null)], [], CancellationToken.None);
        await _store.RecordAsync(second.Token, [new RecipientResult(id, message.Id, RecipientStatus.Delivered, "250 ok", "mx", null)], [], CancellationToken.None);

        var view = await _store.FindMessageAsync(_account, message.Id, CancellationToken.None);
        var recipient = Assert.Single(view!.Recipients);
        Assert.Equal(RecipientStatus.Delivered, recipient.Status);
        Assert.Equal(1, recipient.Attempts);
        Assert.Equal(["queued", "delivered"], view.Events.Select(e => e.Type));
    }

    [Fact]
    public async Task Record_Deferred_BecomesDueAtNextAttempt()
    {
        var message = Message("a@one.test");
        await _store.EnqueueAsync([message], CancellationToken.None);
        var lease = await _store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None);
        var next = _clock.GetUtcNow().AddMinutes(1);

        await _store.RecordAsync(lease.Token, [new RecipientResult(lease.Recipients[0].Id, message.Id, RecipientStatus.Deferred, "451 later", "mx", next)], [], CancellationToken.None);

        Assert.Empty((await _store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None)).Recipients);
        _clock.Advance(TimeSpan.FromMinutes(1));
        var again = await _store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None);
        Assert.Equal(1, again.Recipients.Single().Attempts);
    }

    [Fact]
    public async Task Release_MakesLeasedRecipientsDueAtOnce()
    {
        await _store.EnqueueAsync([Message("a@one.test", "b@one.test")], CancellationToken.None);
        var lease = await _store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None);

        await _store.ReleaseAsync(lease.Token, CancellationToken.None);

        Assert.Equal(2, (await _store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None)).Recipients.Count);
    }

    [Fact]
    public async Task Recover_AfterACrash_MakesLeasedRecipientsDueAtOnce()
    {
        await _store.EnqueueAsync([Message("a@one.test")], CancellationToken.None);
        var lease = await _store.LeaseAsync(10, TimeSpan.FromMinutes(10), CancellationToken.None);
        Assert.Single(lease.Recipients);

        await _store.RecoverAsync(CancellationToken.None);

        Assert.Single((await _store.LeaseAsync(10, TimeSpan.FromMinutes(10), CancellationToken.None)).Recipients);
    }

    [Fact]
    public async Task Lease_RespectsLimit()
    {
        await _store.EnqueueAsync(Enumerable.Range(0, 30).Select(i => Message($"r{i}@one.test")).ToArray(), CancellationToken.None);

        Assert.Equal(12, (await _store.LeaseAsync(12, TimeSpan.FromMinutes(5), CancellationToken.None)).Recipients.Count);
        Assert.Equal(18, (await _store.LeaseAsync(100, TimeSpan.FromMinutes(5), CancellationToken.None)).Recipients.Count);
    }

    [Fact]
    public async Task FindMessage_OfAnotherAccount_ReturnsNull()
    {
        var message = Message("a@one.test");
        await _store.EnqueueAsync([message], CancellationToken.None);

        Assert.Null(await _store.FindMessageAsync("acct_other", message.Id, CancellationToken.None));
        Assert.NotNull(await _store.FindMessageAsync(_account, message.Id, CancellationToken.None));
    }

    [Fact]
    public async Task Enqueue_BatchWithABadRow_StoresNothing()
    {
        var good = Message("a@one.test");
        var duplicate = good with { Recipients = ["b@one.test"] };   // same id: the primary key refuses it

        await Assert.ThrowsAnyAsync<SqliteException>(() => _store.EnqueueAsync([good, duplicate], CancellationToken.None));

        Assert.Null(await _store.FindMessageAsync(_account, good.Id, CancellationToken.None));
        Assert.Empty((await _store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None)).Recipients);
    }
}
