namespace EmailApi.Queue;

public static class QueueStoreExtensions
{
    /// <summary>Stores messages that carry no idempotency key, as one request; one result per message.</summary>
    public static async Task<IReadOnlyList<EnqueueResult>> EnqueueAsync(this IQueueStore store, IReadOnlyList<NewMessage> messages, CancellationToken ct) =>
        (await store.EnqueueAsync([new EnqueueRequest(messages)], ct)) switch
        {
            [EnqueueOutcome.Done done] => done.Results,
            var other => throw new InvalidOperationException($"Unexpected enqueue outcome {other}."),
        };
}
