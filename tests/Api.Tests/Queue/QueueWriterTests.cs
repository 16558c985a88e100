using System.Collections.Concurrent;
using EmailApi.Queue;
using Microsoft.Extensions.Logging.Abstractions;

namespace EmailApi.Tests.Queue;

/// <summary>
/// The group commit on a real SQLite queue. The flush (the fsync of SQLite's log) is the one step a
/// test cannot observe, since only a power cut shows whether it happened, so the store is wrapped
/// and its flush held or failed on purpose; everything else is the real store.
/// </summary>
public sealed class QueueWriterTests : SqliteQueueTest
{
    [Fact]
    public async Task Write_IsAnsweredOnlyAfterTheFlushThatFollowsItsCommit()
    {
        var store = new HeldFlushStore(Engine.Queue);
        var writer = await StartAsync(store);
        var message = Message("a@one.test");

        var write = writer.WriteAsync([message], CancellationToken.None);

        await store.FlushStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(await Engine.Log.FindAsync(Account, message.Id, CancellationToken.None));   // committed
        // Nothing to wait for but time: an answer given early would come within microseconds of the commit.
        await Task.WhenAny(write, Task.Delay(100));
        Assert.False(write.IsCompleted, "answered before the disk confirmed the commit");

        store.ReleaseFlush.SetResult();
        Assert.IsType<EnqueueResult.Stored>(Assert.Single(await write.WaitAsync(TimeSpan.FromSeconds(10))));
        await writer.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task WritesArrivingWhileABatchWaitsForTheFlusher_AreCommittedTogetherOnceItTakesIt()
    {
        var store = new HeldFlushStore(Engine.Queue);
        var writer = await StartAsync(store);
        var first = writer.WriteAsync([Message("a@one.test")], CancellationToken.None);
        await store.FlushStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));   // the flusher has it, and is held
        var second = writer.WriteAsync([Message("b@one.test")], CancellationToken.None);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (store.Batches.Count < 2 && DateTime.UtcNow < deadline) await Task.Delay(10);   // committed; waits for the flusher

        var later = Enumerable.Range(0, 3).Select(i => writer.WriteAsync([Message($"c{i}@one.test")], CancellationToken.None)).ToArray();
        await Task.WhenAny(Task.WhenAll(later), Task.Delay(100));   // a third commit would come at once
        Assert.Equal(2, store.Batches.Count);   // no third, small commit while the flusher is busy

        store.ReleaseFlush.SetResult();
        foreach (var write in later.Append(first).Append(second))
            Assert.IsType<EnqueueResult.Stored>(Assert.Single(await write.WaitAsync(TimeSpan.FromSeconds(10))));
        Assert.Equal([1, 1, 3], store.Batches);
        await writer.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Write_WhenTheFlushFails_IsAnsweredUnavailable_AndTheNextWriteStillWorks()
    {
        var store = new HeldFlushStore(Engine.Queue) { Failures = 1 };
        store.ReleaseFlush.SetResult();
        var writer = await StartAsync(store);

        await Assert.ThrowsAsync<QueueUnavailableException>(() => writer.WriteAsync([Message("a@one.test")], CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.IsType<EnqueueResult.Stored>(Assert.Single(await writer.WriteAsync([Message("b@one.test")], CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10))));
        await writer.StopAsync(CancellationToken.None);
    }

    // Also when the stop comes before the loop had a chance to run (a BackgroundService would then never run it).
    [Fact]
    public async Task Stop_AnswersEveryWriteAlreadyTaken()
    {
        var store = new HeldFlushStore(Engine.Queue);
        store.ReleaseFlush.SetResult();
        var writer = await StartAsync(store);

        var writes = Enumerable.Range(0, 50).Select(i => writer.WriteAsync([Message($"r{i}@one.test")], CancellationToken.None)).ToArray();
        await writer.StopAsync(CancellationToken.None);

        foreach (var write in writes) Assert.IsType<EnqueueResult.Stored>(Assert.Single(await write.WaitAsync(TimeSpan.FromSeconds(10))));
    }

    private async Task<QueueWriter> StartAsync(IQueueStore store)
    {
        var writer = new QueueWriter(store, new QueueSignal(), Metrics(), NullLogger<QueueWriter>.Instance);
        await writer.StartAsync(CancellationToken.None);
        return writer;
    }

    private NewMessage Message(string recipient) => new(MessageId.New(Clock), Account, MessageSource.Api, "s@example.com",
        [recipient], "Subject: x\r\n\r\nbody\r\n"u8.ToArray(), "s@example.com", "x", [], null, Clock.GetUtcNow());

    /// <summary>The real store, except that its flush waits for <see cref="ReleaseFlush"/> and fails the first <see cref="Failures"/> times.</summary>
    private sealed class HeldFlushStore(IQueueStore inner) : IQueueStore
    {
        public TaskCompletionSource FlushStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource ReleaseFlush { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Failures { get; set; }
        /// <summary>The number of messages in each batch committed so far.</summary>
        public ConcurrentQueue<int> Batches { get; } = new();

        public async Task FlushAsync(CancellationToken ct)
        {
            FlushStarted.TrySetResult();
            await ReleaseFlush.Task;
            if (Failures > 0)
            {
                Failures--;
                throw new IOException("fsync failed (test)");
            }
            await inner.FlushAsync(ct);
        }

        public async Task<IReadOnlyList<EnqueueOutcome>> EnqueueAsync(IReadOnlyList<EnqueueRequest> requests, CancellationToken ct)
        {
            var outcomes = await inner.EnqueueAsync(requests, ct);
            Batches.Enqueue(requests.Sum(r => r.Messages.Count));
            return outcomes;
        }
        public Task<Lease> LeaseAsync(int limit, TimeSpan leaseFor, IReadOnlyCollection<string> skipDomains, CancellationToken ct) => inner.LeaseAsync(limit, leaseFor, skipDomains, ct);
        public Task RecordAsync(IReadOnlyList<LeaseResults> batches, CancellationToken ct) => inner.RecordAsync(batches, ct);
        public Task RecoverAsync(CancellationToken ct) => inner.RecoverAsync(ct);
        public Task ReleaseAsync(long leaseToken, CancellationToken ct) => inner.ReleaseAsync(leaseToken, ct);
        public Task PostponeAsync(long leaseToken, IReadOnlyList<long> recipientIds, DateTimeOffset dueAt, CancellationToken ct) =>
            inner.PostponeAsync(leaseToken, recipientIds, dueAt, ct);
    }
}
