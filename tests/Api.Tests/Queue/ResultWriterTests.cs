using System.Collections.Concurrent;
using EmailApi.Queue;
using Microsoft.Extensions.Logging.Abstractions;

namespace EmailApi.Tests.Queue;

/// <summary>
/// The delivery results' group commit on a real SQLite queue. The store is wrapped only to hold
/// or fail its record call on purpose and to count the jobs in each call; the records themselves
/// are the real store's, read back through the message log.
/// </summary>
public sealed class ResultWriterTests : SqliteQueueTest
{
    [Fact]
    public async Task ResultsOfJobsFinishingWhileACommitRuns_ShareTheNextCommit_AndEachIsAnsweredOnlyAfterIt()
    {
        var (messages, jobs) = await LeasedJobsAsync(4);
        var store = new HeldRecordStore(Engine.Queue);
        var writer = await StartAsync(store);

        var first = writer.WriteAsync(jobs[0], CancellationToken.None);
        await store.RecordStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));   // the first job's commit runs, and is held
        var later = jobs.Skip(1).Select(j => writer.WriteAsync(j, CancellationToken.None)).ToArray();
        // Nothing to wait for but time: an answer given before the commit would come at once.
        await Task.WhenAny(Task.WhenAny(later.Append(first)), Task.Delay(100));
        Assert.All(later.Append(first), t => Assert.False(t.IsCompleted, "answered before its commit"));

        store.ReleaseRecord.SetResult();
        await Task.WhenAll(later.Append(first)).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal([1, 3], store.Calls);   // three jobs, one transaction
        foreach (var message in messages)
            Assert.Equal(RecipientStatus.Delivered, (await Engine.Log.FindAsync(Account, message.Id, CancellationToken.None))!.Recipients.Single().Status);
        await writer.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task ABatch_IsBounded()
    {
        var (_, jobs) = await LeasedJobsAsync(ResultWriter.MaxBatchJobs + 10, recipientsPerMessage: 1);
        var store = new HeldRecordStore(Engine.Queue);
        var writer = await StartAsync(store);

        var first = writer.WriteAsync(jobs[0], CancellationToken.None);
        await store.RecordStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var later = jobs.Skip(1).Select(j => writer.WriteAsync(j, CancellationToken.None)).ToArray();
        store.ReleaseRecord.SetResult();
        await Task.WhenAll(later.Append(first)).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal([1, ResultWriter.MaxBatchJobs, 9], store.Calls);
        await writer.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task AFailedCommit_FailsEveryJobInIt_AndTheNextStillWorks()
    {
        var (messages, jobs) = await LeasedJobsAsync(3);
        var store = new HeldRecordStore(Engine.Queue) { Failures = 1 };
        var writer = await StartAsync(store);

        var first = writer.WriteAsync(jobs[0], CancellationToken.None);
        await store.RecordStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var second = writer.WriteAsync(jobs[1], CancellationToken.None);
        store.ReleaseRecord.SetResult();

        await Assert.ThrowsAsync<QueueUnavailableException>(() => first.WaitAsync(TimeSpan.FromSeconds(10)));
        await second.WaitAsync(TimeSpan.FromSeconds(10));
        await writer.WriteAsync(jobs[2], CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(RecipientStatus.Sending, (await Engine.Log.FindAsync(Account, messages[0].Id, CancellationToken.None))!.Recipients.Single().Status);
        Assert.Equal(RecipientStatus.Delivered, (await Engine.Log.FindAsync(Account, messages[2].Id, CancellationToken.None))!.Recipients.Single().Status);
        await writer.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Stop_AnswersEveryJobAlreadyTaken_AndRefusesLaterOnes()
    {
        var (messages, jobs) = await LeasedJobsAsync(21);
        var store = new HeldRecordStore(Engine.Queue);
        store.ReleaseRecord.SetResult();
        var writer = await StartAsync(store);

        var writes = jobs.Take(20).Select(j => writer.WriteAsync(j, CancellationToken.None)).ToArray();
        await writer.StopAsync(CancellationToken.None);

        await Task.WhenAll(writes).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(20, store.Calls.Sum());
        Assert.Throws<QueueUnavailableException>(() => { _ = writer.WriteAsync(jobs[20], CancellationToken.None); });
    }

    /// <summary>Messages with one recipient each, leased in one lease and delivered, one job per message.</summary>
    private async Task<(NewMessage[] Messages, LeaseResults[] Jobs)> LeasedJobsAsync(int count, int recipientsPerMessage = 1)
    {
        var messages = Enumerable.Range(0, count).Select(i => new NewMessage(MessageId.New(Clock), Account, MessageSource.Api, "s@example.com",
            Enumerable.Range(0, recipientsPerMessage).Select(r => $"r{r}@d{i}.test").ToArray(), "Subject: x\r\n\r\nbody\r\n"u8.ToArray(), "s@example.com", "x", [], null, Clock.GetUtcNow())).ToArray();
        await Engine.Queue.EnqueueAsync(messages, CancellationToken.None);
        var lease = await Engine.Queue.LeaseAsync(count * recipientsPerMessage, TimeSpan.FromMinutes(5), CancellationToken.None);
        var jobs = messages.Select(m => new LeaseResults(lease.Token, lease.Recipients.Where(r => r.MessageId == m.Id)
            .Select(r => new RecipientResult(r.Id, m.Id, RecipientStatus.Delivered, SmtpReply.FromServer(250, "2.0.0 ok"), "mx", null)).ToArray(), [])).ToArray();
        return (messages, jobs);
    }

    private async Task<ResultWriter> StartAsync(IQueueStore store)
    {
        var writer = new ResultWriter(store, Metrics(), NullLogger<ResultWriter>.Instance);
        await writer.StartAsync(CancellationToken.None);
        return writer;
    }

    /// <summary>The real store, except that its first record call waits for <see cref="ReleaseRecord"/> and the first <see cref="Failures"/> calls fail.</summary>
    private sealed class HeldRecordStore(IQueueStore inner) : IQueueStore
    {
        public TaskCompletionSource RecordStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource ReleaseRecord { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Failures { get; set; }
        /// <summary>The number of jobs in each record call so far.</summary>
        public ConcurrentQueue<int> Calls { get; } = new();

        public async Task RecordAsync(IReadOnlyList<LeaseResults> batches, CancellationToken ct)
        {
            RecordStarted.TrySetResult();
            await ReleaseRecord.Task;
            Calls.Enqueue(batches.Count);
            if (Failures > 0)
            {
                Failures--;
                throw new IOException("fsync failed (test)");
            }
            await inner.RecordAsync(batches, ct);
        }

        public Task FlushAsync(CancellationToken ct) => inner.FlushAsync(ct);
        public Task<IReadOnlyList<EnqueueOutcome>> EnqueueAsync(IReadOnlyList<EnqueueRequest> requests, CancellationToken ct) => inner.EnqueueAsync(requests, ct);
        public Task<Lease> LeaseAsync(int limit, TimeSpan leaseFor, IReadOnlyCollection<string> skipDomains, CancellationToken ct) => inner.LeaseAsync(limit, leaseFor, skipDomains, ct);
        public Task RecoverAsync(CancellationToken ct) => inner.RecoverAsync(ct);
        public Task ReleaseAsync(long leaseToken, CancellationToken ct) => inner.ReleaseAsync(leaseToken, ct);
        public Task PostponeAsync(long leaseToken, IReadOnlyList<long> recipientIds, DateTimeOffset dueAt, CancellationToken ct) =>
            inner.PostponeAsync(leaseToken, recipientIds, dueAt, ct);
    }
}
