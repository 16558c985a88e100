using EmailApi.Queue;
using EmailApi.Tests.Storage;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Queue;

public sealed class SqliteQueueStoreTests : QueueStoreTests
{
    protected override Task<StoreEngine> CreateEngineAsync(FakeTimeProvider clock) => SqliteStoreEngine.CreateAsync(clock);

    // Only one process can use an SQLite queue, so leases still held at start are a crashed predecessor's.
    [Fact]
    public async Task Recover_AfterACrash_MakesLeasedRecipientsDueAtOnce()
    {
        await Store.EnqueueAsync([Message("a@one.test")], CancellationToken.None);
        var lease = await Store.LeaseAsync(10, TimeSpan.FromMinutes(10), CancellationToken.None);
        Assert.Single(lease.Recipients);

        await Store.RecoverAsync(CancellationToken.None);

        Assert.Single((await Store.LeaseAsync(10, TimeSpan.FromMinutes(10), CancellationToken.None)).Recipients);
    }

    // Enqueueing keeps one connection open across batches; a batch that fails must not spoil the next.
    [Fact]
    public async Task Enqueue_AfterABatchFailed_StoresTheNextBatch()
    {
        var orphan = Message("a@one.test") with { AccountId = "no-such-account" };
        await Assert.ThrowsAsync<Microsoft.Data.Sqlite.SqliteException>(() => Store.EnqueueAsync([orphan], CancellationToken.None));

        await Store.EnqueueAsync([Message("b@two.test")], CancellationToken.None);

        var lease = await Store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None);
        Assert.Equal(["b@two.test"], lease.Recipients.Select(r => r.Address));
    }

    // The enqueue transaction commits without waiting for the disk; FlushAsync syncs SQLite's log.
    [Fact]
    public async Task Flush_SyncsTheLog_AndWithoutALogHasNothingToDo()
    {
        var outcomes = await Store.EnqueueAsync([new EnqueueRequest([Message("a@one.test")])], CancellationToken.None);
        Assert.IsType<EnqueueOutcome.Done>(Assert.Single(outcomes));
        var db = ((SqliteStoreEngine)Engine).Db;
        Assert.True(File.Exists(db.FilePath + "-wal"));
        await Store.FlushAsync(CancellationToken.None);

        // Closing the last connection checkpoints the log into the database file and deletes it.
        ((SqliteQueueStore)Store).Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Assert.False(File.Exists(db.FilePath + "-wal"));
        await Store.FlushAsync(CancellationToken.None);
    }
}
