using System.Diagnostics.Metrics;

namespace EmailApi.Queue;

/// <summary>
/// The queue's instruments (meter <c>EmailApi.Queue</c>): messages made durable per door, the
/// group-commit writer's transactions and flushes, and two gauges read from the database at each
/// scrape (<see cref="RefreshAsync"/>): recipients not final yet, and how long the oldest due work
/// has waited. Every labelled series exists from the start, at zero.
/// </summary>
public sealed class QueueMetrics
{
    public const string MeterName = "EmailApi.Queue";

    private static readonly RecipientStatus[] LiveStatuses = [RecipientStatus.Queued, RecipientStatus.Deferred, RecipientStatus.Sending];

    private readonly Counter<long> _accepted;
    private readonly Counter<long> _acceptedRecipients;
    private readonly Counter<long> _commits;
    private readonly Counter<long> _commitMessages;
    private readonly Counter<double> _commitSeconds;
    private readonly Counter<long> _flushes;
    private readonly Counter<double> _flushSeconds;
    private readonly Counter<long> _resultCommits;
    private readonly Counter<long> _resultCommitJobs;
    private readonly Counter<long> _resultCommitRecipients;
    private readonly Counter<double> _resultCommitSeconds;
    private readonly QueueCounts _counts;
    private readonly TimeProvider _clock;
    private volatile Snapshot? _snapshot;

    public QueueMetrics(IMeterFactory meters, QueueCounts counts, TimeProvider clock)
    {
        _counts = counts;
        _clock = clock;
        var meter = meters.Create(MeterName);
        _accepted = meter.CreateCounter<long>("emailapi.messages.accepted", "{message}", "Messages made durable, by the door they came through.");
        _acceptedRecipients = meter.CreateCounter<long>("emailapi.recipients.accepted", "{recipient}", "Recipients made durable.");
        // The writer's time in transactions over wall time is its utilisation; messages over commits its batch size.
        _commits = meter.CreateCounter<long>("emailapi.queue.commits", "{transaction}", "Group-commit transactions of the queue writer.");
        _commitMessages = meter.CreateCounter<long>("emailapi.queue.commit.messages", "{message}", "Messages written by those transactions.");
        _commitSeconds = meter.CreateCounter<double>("emailapi.queue.commit", "s", "Time the queue writer spent in those transactions.");
        _flushes = meter.CreateCounter<long>("emailapi.queue.flushes", "{flush}", "Flushes that made committed batches durable before they were acknowledged.");
        _flushSeconds = meter.CreateCounter<double>("emailapi.queue.flush", "s", "Time spent in those flushes (the fsync of SQLite's log).");
        // Delivery results' group commit (ResultWriter): jobs over commits is how many jobs share one.
        _resultCommits = meter.CreateCounter<long>("emailapi.queue.result_commits", "{transaction}", "Transactions that recorded delivery results, each durable before its jobs went on.");
        _resultCommitJobs = meter.CreateCounter<long>("emailapi.queue.result_commit.jobs", "{job}", "Delivery jobs whose results those transactions recorded.");
        _resultCommitRecipients = meter.CreateCounter<long>("emailapi.queue.result_commit.recipients", "{recipient}", "Recipient results those transactions recorded.");
        _resultCommitSeconds = meter.CreateCounter<double>("emailapi.queue.result_commit", "s", "Time spent in those transactions, their flush included.");
        meter.CreateObservableGauge("emailapi.queue.recipients", ObserveRecipients, "{recipient}", "Recipients in the queue that are not final yet, by status.");
        meter.CreateObservableGauge("emailapi.queue.oldest_due.age", ObserveOldestDue, "s",
            "How long the longest-waiting due recipient has been due (0 when nothing is overdue); a rising value means the sender falls behind.");

        foreach (var source in Enum.GetValues<MessageSource>()) _accepted.Add(0, Source(source));
        _acceptedRecipients.Add(0);
        _commits.Add(0);
        _commitMessages.Add(0);
        _commitSeconds.Add(0);
        _flushes.Add(0);
        _flushSeconds.Add(0);
        _resultCommits.Add(0);
        _resultCommitJobs.Add(0);
        _resultCommitRecipients.Add(0);
        _resultCommitSeconds.Add(0);
    }

    public void Accepted(MessageSource source, int recipients)
    {
        _accepted.Add(1, Source(source));
        _acceptedRecipients.Add(recipients);
    }

    /// <summary>One group-commit transaction of the queue writer: how many messages it held and how long it took.</summary>
    public void Committed(int messages, TimeSpan elapsed)
    {
        _commits.Add(1);
        _commitMessages.Add(messages);
        _commitSeconds.Add(elapsed.TotalSeconds);
    }

    /// <summary>One flush making the committed batches durable (an fsync of SQLite's log), and how long it took.</summary>
    public void Flushed(TimeSpan elapsed)
    {
        _flushes.Add(1);
        _flushSeconds.Add(elapsed.TotalSeconds);
    }

    /// <summary>One durable transaction of delivery results: how many jobs and recipient results it held, and how long it took.</summary>
    public void ResultsCommitted(int jobs, int recipients, TimeSpan elapsed)
    {
        _resultCommits.Add(1);
        _resultCommitJobs.Add(jobs);
        _resultCommitRecipients.Add(recipients);
        _resultCommitSeconds.Add(elapsed.TotalSeconds);
    }

    /// <summary>
    /// Reads the gauges' figures from the database; called before each scrape, because an
    /// instrument's callback cannot wait for a query. When the database does not answer, the
    /// gauges are left out of that scrape rather than showing stale figures.
    /// </summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        try
        {
            var counts = await _counts.CountLiveAsync(ct);
            var due = await _counts.EarliestDueAsync(ct);
            _snapshot = new Snapshot(counts, due);
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or Storage.StorageUnavailableException or TimeoutException)
        {
            // /health/ready says why; the metrics page itself stays up.
            _snapshot = null;
        }
    }

    private IEnumerable<Measurement<long>> ObserveRecipients()
    {
        if (_snapshot is not { } snapshot) yield break;
        foreach (var status in LiveStatuses)
            yield return new Measurement<long>(snapshot.Counts.GetValueOrDefault(status), new KeyValuePair<string, object?>("status", status.ToDb()));
    }

    private IEnumerable<Measurement<double>> ObserveOldestDue()
    {
        if (_snapshot is not { } snapshot) yield break;
        var age = snapshot.EarliestDue is { } due ? (_clock.GetUtcNow() - due).TotalSeconds : 0;
        yield return new Measurement<double>(Math.Max(0, age));
    }

    private static KeyValuePair<string, object?> Source(MessageSource source) => new("source", source.ToDb());

    private sealed record Snapshot(IReadOnlyDictionary<RecipientStatus, long> Counts, DateTimeOffset? EarliestDue);
}
