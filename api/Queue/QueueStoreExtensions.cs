namespace EmailApi.Queue;

public static class QueueStoreExtensions
{
    /// <summary>A lease over every destination.</summary>
    public static Task<Lease> LeaseAsync(this IQueueStore store, int limit, TimeSpan leaseFor, CancellationToken ct) =>
        store.LeaseAsync(limit, leaseFor, [], ct);

    /// <summary>Records one job's results in their own transaction.</summary>
    public static Task RecordAsync(this IQueueStore store, long leaseToken, IReadOnlyList<RecipientResult> results, IReadOnlyList<NewMessage> notifications, CancellationToken ct) =>
        store.RecordAsync([new LeaseResults(leaseToken, results, notifications)], ct);

    /// <summary>Stores messages that carry no idempotency key, as one request, and makes them durable; one result per message.</summary>
    public static async Task<IReadOnlyList<EnqueueResult>> EnqueueAsync(this IQueueStore store, IReadOnlyList<NewMessage> messages, CancellationToken ct)
    {
        var outcomes = await store.EnqueueAsync([new EnqueueRequest(messages)], ct);
        await store.FlushAsync(ct);
        return outcomes switch
        {
            [EnqueueOutcome.Done done] => done.Results,
            var other => throw new InvalidOperationException($"Unexpected enqueue outcome {other}."),
        };
    }
}
