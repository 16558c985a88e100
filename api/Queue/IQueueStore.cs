namespace EmailApi.Queue;

/// <summary>
/// The queue tables behind one seam, so SQLite and PostgreSQL pass the same tests.
/// Every method either commits all it was given or nothing.
/// </summary>
public interface IQueueStore
{
    /// <summary>
    /// Stores the messages of every request, one recipient row and one <c>queued</c> event per
    /// recipient, in one transaction. Each message is first counted against its account's limits and
    /// each request's idempotency key claimed (see <see cref="SqliteAdmission"/>); a refused message
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
    /// Records attempt results, each with its event, adds hard-bounced addresses to the account's
    /// suppression list and enqueues the bounce notifications, all in one transaction. Results whose
    /// lease was lost are skipped.
    /// </summary>
    Task RecordAsync(long leaseToken, IReadOnlyList<RecipientResult> results, IReadOnlyList<NewMessage> notifications, CancellationToken ct);

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

    Task<MessageView?> FindMessageAsync(string accountId, MessageId id, CancellationToken ct);

    Task<bool> PingAsync(CancellationToken ct);

    /// <summary>When the longest-waiting due work became due (retry time or lease end), or null when the queue is empty; may lie in the future.</summary>
    Task<DateTimeOffset?> EarliestDueAsync(CancellationToken ct);

    /// <summary>How many recipients are queued, deferred and sending (for the metrics endpoint).</summary>
    Task<IReadOnlyDictionary<RecipientStatus, long>> CountLiveAsync(CancellationToken ct);

    Task<IReadOnlyList<Suppression>> ListSuppressionsAsync(string accountId, string? after, int limit, CancellationToken ct);

    /// <summary>Adds or replaces an entry; returns false when the address was already suppressed.</summary>
    Task<bool> AddSuppressionAsync(string accountId, string address, string reason, CancellationToken ct);

    /// <summary>The recipient row <paramref name="recipientId"/> of message <paramref name="messageId"/>, or null when there is none (purged, or never ours).</summary>
    Task<SentRecipient?> FindRecipientAsync(MessageId messageId, long recipientId, CancellationToken ct);

    /// <summary>
    /// Applies an inbound report to the recipient its token named, in one transaction: the new status
    /// (from <c>delivered</c> only, see <see cref="QueueQueries.ApplyFeedbackAsync"/>) with an event that
    /// carries the report, and the suppression (source <c>feedback</c>). Applying the same change twice
    /// changes nothing the second time, so two nodes processing one report do no harm.
    /// </summary>
    Task<FeedbackApplied> ApplyFeedbackAsync(FeedbackChange change, CancellationToken ct);

    Task<bool> RemoveSuppressionAsync(string accountId, string address, CancellationToken ct);
}
