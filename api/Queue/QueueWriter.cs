using System.Diagnostics;
using System.Threading.Channels;

namespace EmailApi.Queue;

/// <summary>
/// Group commit: every submission (HTTP or SMTP) waits here until the transaction holding its
/// message is durable. One loop drains whatever has arrived, up to a batch limit, and writes it in
/// one transaction, so many acknowledgements share one commit; a second loop makes the committed
/// batches durable (<see cref="IQueueStore.FlushAsync"/>, one fsync for all of them) and only then
/// answers their waiters, while the first loop already writes the next batch. A failed batch fails
/// every waiter in it (they answer "try again"), and nothing of it is half written.
/// </summary>
public sealed class QueueWriter : GroupCommitLoop<QueueWriter.Pending>
{
    private const int MaxBatchMessages = 512;
    private const long MaxBatchBytes = 32 * 1024 * 1024;

    // One committed batch may wait while the previous one is flushed; the writer then waits before
    // it takes the next batch, which meanwhile grows, so the pipeline never trades big batches for
    // many small ones.
    private readonly Channel<Committed> _committed = Channel.CreateBounded<Committed>(new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });
    private readonly IQueueStore _store;
    private readonly QueueSignal _signal;
    private readonly QueueMetrics _metrics;
    private readonly ILogger<QueueWriter> _log;

    public QueueWriter(IQueueStore store, QueueSignal signal, QueueMetrics metrics, ILogger<QueueWriter> log)
    {
        _store = store;
        _signal = signal;
        _metrics = metrics;
        _log = log;
    }

    /// <summary>Completes once the messages are durable; throws when they could not be stored.</summary>
    public async Task<IReadOnlyList<EnqueueResult>> WriteAsync(IReadOnlyList<NewMessage> messages, CancellationToken ct) =>
        await WriteAsync(new EnqueueRequest(messages), ct) switch
        {
            EnqueueOutcome.Done done => done.Results,
            var other => throw new InvalidOperationException($"Unexpected enqueue outcome {other}."),
        };

    /// <summary>Completes once the request's transaction is durable, with what it did to each message; throws when it could not be stored.</summary>
    public Task<EnqueueOutcome> WriteAsync(EnqueueRequest request, CancellationToken ct)
    {
        var pending = new Pending(request, new TaskCompletionSource<EnqueueOutcome>(TaskCreationOptions.RunContinuationsAsynchronously));
        Submit(pending);
        // The caller may stop waiting, but the write itself is not cancelled: once a batch is
        // taken it commits or fails as a whole.
        return pending.Done.Task.WaitAsync(ct);
    }

    protected override async Task RunAsync()
    {
        var flushing = FlushAsync();
        try
        {
            await CommitAsync();
        }
        finally
        {
            _committed.Writer.TryComplete();
        }
        await flushing;
    }

    /// <summary>Writes batches until the queue is closed (<see cref="StopAsync"/>) and drained.</summary>
    private async Task CommitAsync()
    {
        var reader = Submitted;
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            // Taking the next batch while the last one still waits for the flusher would make it
            // small (under HTTP load 14 messages instead of 18-19) and its commit would only wait
            // again: every commit writes each index's last page, however few messages it holds.
            await _committed.Writer.WaitToWriteAsync(CancellationToken.None);
            var batch = new List<Pending>();
            long bytes = 0;
            var count = 0;
            while (count < MaxBatchMessages && bytes < MaxBatchBytes && reader.TryRead(out var item))
            {
                batch.Add(item);
                count += item.Request.Messages.Count;
                bytes += item.Request.Messages.Sum(m => (long)m.Raw.Length);
            }

            try
            {
                // Not cancelled by shutdown: a batch that started must finish, or its waiters hang.
                var started = Stopwatch.GetTimestamp();
                var outcomes = await _store.EnqueueAsync(batch.ConvertAll(p => p.Request), CancellationToken.None);
                _metrics.Committed(count, Stopwatch.GetElapsedTime(started));
                await _committed.Writer.WriteAsync(new Committed(batch, outcomes), CancellationToken.None);
            }
            catch (Exception ex)
            {
                _log.LogError(ex, "Could not store a batch of {Count} messages", count);
                foreach (var item in batch) item.Done.TrySetException(new QueueUnavailableException("The queue could not store the message.", ex));
            }
        }
    }

    /// <summary>Answers committed batches once a flush that began after their commit has returned.</summary>
    private async Task FlushAsync()
    {
        var reader = _committed.Reader;
        var ready = new List<Committed>();
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            ready.Clear();
            while (reader.TryRead(out var committed)) ready.Add(committed);
            try
            {
                var started = Stopwatch.GetTimestamp();
                await _store.FlushAsync(CancellationToken.None);
                _metrics.Flushed(Stopwatch.GetElapsedTime(started));
            }
            catch (Exception ex)
            {
                // The transactions did commit, so their messages may still be sent; but nobody may be
                // told they are stored when the disk did not confirm it.
                _log.LogCritical(ex, "Could not flush the queue's log to disk; {Count} committed batches are answered as not stored", ready.Count);
                foreach (var item in ready.SelectMany(c => c.Batch))
                    item.Done.TrySetException(new QueueUnavailableException("The queue could not store the message.", ex));
                continue;
            }

            foreach (var committed in ready)
            {
                for (var i = 0; i < committed.Batch.Count; i++) committed.Batch[i].Done.TrySetResult(committed.Outcomes[i]);
                Count(committed);
            }
            _signal.Notify();
        }
    }

    private void Count(Committed committed)
    {
        for (var i = 0; i < committed.Batch.Count; i++)
        {
            if (committed.Outcomes[i] is not EnqueueOutcome.Done done) continue;
            var messages = committed.Batch[i].Request.Messages;
            for (var m = 0; m < done.Results.Count; m++)
                if (done.Results[m] is EnqueueResult.Stored)
                {
                    var message = messages[m];
                    _metrics.Accepted(message.Source, message.Recipients.Count);
                    QueueLog.Accepted(_log, message.Id.ToString(), message.Source.ToDb(), message.AccountId, message.EnvelopeFrom, message.Recipients.Count, message.Raw.Length);
                }
        }
    }

    /// <summary>One piece of work handed to the loop, and its answer.</summary>
    public sealed record Pending(EnqueueRequest Request, TaskCompletionSource<EnqueueOutcome> Done);

    private sealed record Committed(List<Pending> Batch, IReadOnlyList<EnqueueOutcome> Outcomes);
}
