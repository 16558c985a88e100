namespace EmailApi.Queue;

/// <summary>
/// The queue tables behind one seam, so SQLite and PostgreSQL pass the same tests.
/// Every method either commits all it was given or nothing.
/// </summary>
public interface IQueueStore
{
    /// <summary>Stores the messages, one recipient row and one <c>queued</c> event per recipient, in one transaction.</summary>
    Task EnqueueAsync(IReadOnlyList<NewMessage> batch, CancellationToken ct);

    /// <summary>Hands up to <paramref name="limit"/> due recipients (due retry, or an expired lease) to the caller.</summary>
    Task<Lease> LeaseAsync(int limit, TimeSpan leaseFor, CancellationToken ct);

    /// <summary>Records attempt results, each with its event; results whose lease was lost are skipped.</summary>
    Task RecordAsync(long leaseToken, IReadOnlyList<RecipientResult> results, CancellationToken ct);

    /// <summary>Makes the still-leased recipients of a lease due again at once (graceful shutdown).</summary>
    Task ReleaseAsync(long leaseToken, CancellationToken ct);

    Task<MessageView?> FindMessageAsync(string accountId, MessageId id, CancellationToken ct);

    Task<bool> PingAsync(CancellationToken ct);
}
