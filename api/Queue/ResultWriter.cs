using System.Diagnostics;

namespace EmailApi.Queue;

/// <summary>
/// Group commit of delivery results: every delivery job hands its results here and waits until the
/// transaction holding them is durable. One loop takes whatever has arrived (at least one job, at
/// most <see cref="MaxBatchJobs"/> jobs or <see cref="MaxBatchResults"/> results) and records it
/// with one <see cref="IQueueStore.RecordAsync(IReadOnlyList{LeaseResults}, CancellationToken)"/>:
/// one transaction and one flush for all of them, where each job used to pay its own. It never
/// waits for more to arrive: a batch is what came in while the previous one was written, so a lone
/// job waits for one commit at most besides its own, and under load the batches grow with the
/// disk's latency (Postfix's queue manager likewise takes delivery agents' reports as they come).
/// A failed batch fails every job in it, which the sender handles as it did a failed write of its
/// own: the lease runs out and the recipients are tried again. Nothing is acknowledged before its
/// commit is on disk.
/// </summary>
public sealed class ResultWriter : GroupCommitLoop<ResultWriter.Pending>
{
    internal const int MaxBatchJobs = 256;
    internal const int MaxBatchResults = 4096;

    private readonly IQueueStore _store;
    private readonly QueueMetrics _metrics;
    private readonly ILogger<ResultWriter> _log;

    public ResultWriter(IQueueStore store, QueueMetrics metrics, ILogger<ResultWriter> log)
    {
        _store = store;
        _metrics = metrics;
        _log = log;
    }

    /// <summary>Completes once the results are durable; throws when they could not be recorded.</summary>
    public Task WriteAsync(LeaseResults results, CancellationToken ct)
    {
        if (results.Results.Count == 0) return Task.CompletedTask;
        var pending = new Pending(results, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        Submit(pending);
        // The caller may stop waiting; the write itself, once taken, commits or fails as a whole.
        return pending.Done.Task.WaitAsync(ct);
    }

    // Registered before the sender, so the host stops it after the sender's jobs are done.
    protected override async Task RunAsync()
    {
        var reader = Submitted;
        var batch = new List<Pending>();
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            batch.Clear();
            var results = 0;
            while (batch.Count < MaxBatchJobs && results < MaxBatchResults && reader.TryRead(out var item))
            {
                batch.Add(item);
                results += item.Results.Results.Count;
            }

            try
            {
                // Not cancelled by shutdown: the remote hosts have answered, and a result not
                // recorded is a message sent again.
                var started = Stopwatch.GetTimestamp();
                await _store.RecordAsync(batch.ConvertAll(p => p.Results), CancellationToken.None);
                _metrics.ResultsCommitted(batch.Count, results, Stopwatch.GetElapsedTime(started));
                foreach (var item in batch) item.Done.TrySetResult();
            }
            catch (Exception ex)
            {
                _log.LogError(ex, "Could not record the results of {Jobs} delivery jobs ({Results} recipients)", batch.Count, results);
                foreach (var item in batch) item.Done.TrySetException(new QueueUnavailableException("The queue could not record the delivery results.", ex));
            }
        }
    }

    /// <summary>One piece of work handed to the loop, and its answer.</summary>
    public sealed record Pending(LeaseResults Results, TaskCompletionSource Done);
}
