using System.Diagnostics;
using System.Threading.Channels;

namespace EmailApi.Queue;

/// <summary>
/// Group commit: every submission (HTTP or SMTP) waits here until the transaction holding its
/// message has committed. One loop drains whatever has arrived, up to a batch limit, and writes
/// it in one transaction, so many acknowledgements share one fsync. A failed batch fails every
/// waiter in it (they answer "try again"), and nothing of it is half written.
/// </summary>
public sealed class QueueWriter : BackgroundService
{
    private const int MaxBatchMessages = 512;
    private const long MaxBatchBytes = 32 * 1024 * 1024;

    private readonly Channel<Pending> _pending = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IQueueStore _store;
    private readonly QueueSignal _signal;
    private readonly Hosting.RelayMetrics _metrics;
    private readonly ILogger<QueueWriter> _log;

    public QueueWriter(IQueueStore store, QueueSignal signal, Hosting.RelayMetrics metrics, ILogger<QueueWriter> log)
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

    /// <summary>Completes once the request's transaction has committed, with what it did to each message; throws when it could not be stored.</summary>
    public Task<EnqueueOutcome> WriteAsync(EnqueueRequest request, CancellationToken ct)
    {
        var pending = new Pending(request, new TaskCompletionSource<EnqueueOutcome>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_pending.Writer.TryWrite(pending))
            throw new QueueUnavailableException("The queue is shutting down.");
        // The caller may stop waiting, but the write itself is not cancelled: once a batch is
        // taken it commits or fails as a whole.
        return pending.Done.Task.WaitAsync(ct);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reader = _pending.Reader;
        var batch = new List<Pending>();
        var requests = new List<EnqueueRequest>();
        // Keep draining after stop was requested until the channel is empty: an accepted request
        // that is already waiting must get its answer.
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            batch.Clear();
            requests.Clear();
            long bytes = 0;
            var count = 0;
            while (count < MaxBatchMessages && bytes < MaxBatchBytes && reader.TryRead(out var item))
            {
                batch.Add(item);
                requests.Add(item.Request);
                count += item.Request.Messages.Count;
                bytes += item.Request.Messages.Sum(m => (long)m.Raw.Length);
            }

            try
            {
                // Not cancelled by shutdown: a batch that started must finish, or its waiters hang.
                var started = Stopwatch.GetTimestamp();
                var outcomes = await _store.EnqueueAsync(requests, CancellationToken.None);
                _metrics.Committed(count, Stopwatch.GetElapsedTime(started));
                for (var i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(outcomes[i]);
                _signal.Notify();
                Count(requests, outcomes);
            }
            catch (Exception ex)
            {
                _log.LogError(ex, "Could not store a batch of {Count} messages", count);
                foreach (var item in batch) item.Done.TrySetException(new QueueUnavailableException("The queue could not store the message.", ex));
            }

            if (stoppingToken.IsCancellationRequested && !reader.TryPeek(out _)) break;
        }
    }

    private void Count(List<EnqueueRequest> requests, IReadOnlyList<EnqueueOutcome> outcomes)
    {
        for (var i = 0; i < requests.Count; i++)
        {
            if (outcomes[i] is not EnqueueOutcome.Done done) continue;
            for (var m = 0; m < done.Results.Count; m++)
                if (done.Results[m] is EnqueueResult.Stored)
                    _metrics.Accepted(requests[i].Messages[m].Source, requests[i].Messages[m].Recipients.Count);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _pending.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    private sealed record Pending(EnqueueRequest Request, TaskCompletionSource<EnqueueOutcome> Done);
}
