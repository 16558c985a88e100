namespace EmailApi.Queue;

/// <summary>
/// The queue itself: enqueue, flush, lease, record results, release, postpone, recover. Every
/// method is on the hot path and either commits all it was given or nothing; the two engines
/// implement it separately because they do these things in truly different ways (SQLite: one
/// writer, prepared per-row statements, an fsync of the log outside the write lock; PostgreSQL:
/// array statements, <c>FOR UPDATE SKIP LOCKED</c> leases shared by many nodes, NOTIFY), and both
/// pass the same contract suite. Reads of the queue live with their capability: the message log
/// (<c>Messages/</c>), suppressions (<c>Suppressions/</c>), <see cref="QueueCounts"/>.
/// </summary>
public interface IQueueStore
{
    /// <summary>
    /// Stores the messages of every request, one recipient row and one <c>queued</c> event per
    /// recipient, in one transaction. Each message is first counted against its account's limits and
    /// each request's idempotency key claimed (see <see cref="Admission"/>); a refused message
    /// is left out without failing the others. Returns once the transaction has committed; it is
    /// durable once <see cref="FlushAsync"/> has returned after that, and only then may a message
    /// be acknowledged.
    /// </summary>
    Task<IReadOnlyList<EnqueueOutcome>> EnqueueAsync(IReadOnlyList<EnqueueRequest> requests, CancellationToken ct);

    /// <summary>
    /// Makes every enqueue transaction that has returned so far durable. SQLite commits them without
    /// waiting for the disk and syncs its log here, outside the write lock, so that the next group
    /// commit is written while the disk flushes this one; PostgreSQL's commits are durable when they
    /// return, so there this does nothing.
    /// </summary>
    Task FlushAsync(CancellationToken ct);

    /// <summary>
    /// Hands up to <paramref name="limit"/> due recipients (due retry, or an expired lease) to the
    /// caller, oldest first, leaving out those of <paramref name="skipDomains"/>: destinations the
    /// sender has no room for now stay in the queue, untouched, and do not crowd out the others
    /// (Postfix's qmgr takes from a destination's queue only while it is under its concurrency).
    /// </summary>
    Task<Lease> LeaseAsync(int limit, TimeSpan leaseFor, IReadOnlyCollection<string> skipDomains, CancellationToken ct);

    /// <summary>
    /// Records the attempt results of any number of delivery jobs (leases) in one transaction,
    /// durable when this returns: each result with its event, hard-bounced addresses added to the
    /// account's suppression list, and each job's bounce notifications enqueued. A result whose
    /// lease was lost is skipped, and a job none of whose results held its lease stores no
    /// notification; one job's lost lease never keeps another's results out. The sender's
    /// <see cref="ResultWriter"/> gathers concurrent jobs' results into one call, so one commit
    /// (and one fsync) serves them all.
    /// </summary>
    Task RecordAsync(IReadOnlyList<LeaseResults> batches, CancellationToken ct);

    /// <summary>
    /// Called once when a sender starts. Where only one process can use the queue (SQLite), leases
    /// still held are a crashed predecessor's and are released at once; a shared engine leaves them
    /// to expire, since other nodes may hold them.
    /// </summary>
    Task RecoverAsync(CancellationToken ct);

    /// <summary>Makes the still-leased recipients of a lease due again at once (graceful shutdown).</summary>
    Task ReleaseAsync(long leaseToken, CancellationToken ct);

    /// <summary>Gives leased recipients back without an attempt, due again at <paramref name="dueAt"/> (throttling, a busy destination).</summary>
    Task PostponeAsync(long leaseToken, IReadOnlyList<long> recipientIds, DateTimeOffset dueAt, CancellationToken ct);
}
