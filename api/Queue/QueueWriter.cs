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
    private readonly ILogger<QueueWriter> _log;

    public QueueWriter(IQueueStore store, QueueSignal signal, ILogger<QueueWriter> log)
    {
        _store = store;
        _signal = signal;
        _log = log;
    }

    /// <summary>Completes once the messages are durable; throws when they could not be stored.</summary>
    public Task WriteAsync(IReadOnlyList<NewMessage> messages, CancellationToken ct)
    {
        var pending = new Pending(messages, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
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
        var messages = new List<NewMessage>();
        // Keep draining after stop was requested until the channel is empty: an accepted request
        // that is already waiting must get its answer.
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            batch.Clear();
            messages.Clear();
            long bytes = 0;
            while (messages.Count < MaxBatchMessages && bytes < MaxBatchBytes && reader.TryRead(out var item))
            {
                batch.Add(item);
                messages.AddRange(item.Messages);
                bytes += item.Messages.Sum(m => (long)m.Raw.Length);
            }

            try
            {
                // Not cancelled by shutdown: a batch that started must finish, or its waiters hang.
                await _store.EnqueueAsync(messages, CancellationToken.None);
                foreach (var item in batch) item.Done.TrySetResult();
                _signal.Notify();
            }
            catch (Exception ex)
            {
                _log.LogError(ex, "Could not store a batch of {Count} messages", messages.Count);
                foreach (var item in batch) item.Done.TrySetException(new QueueUnavailableException("The queue could not store the message.", ex));
            }

            if (stoppingToken.IsCancellationRequested && !reader.TryPeek(out _)) break;
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _pending.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    private sealed record Pending(IReadOnlyList<NewMessage> Messages, TaskCompletionSource Done);
}
