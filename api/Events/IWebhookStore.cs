namespace EmailApi.Events;

/// <summary>
/// Webhook endpoints and the durable outbox of their deliveries, one implementation per engine.
/// Deliveries are created from the event log by <see cref="FanOutAsync"/>, which remembers how far
/// it got in the same transaction, so every event reaches every subscribed endpoint exactly once
/// into the outbox, whatever crashes in between.
/// </summary>
public interface IWebhookStore
{
    Task<Webhook> CreateAsync(string accountId, string url, IReadOnlyList<string> events, string secret, CancellationToken ct);

    Task<IReadOnlyList<Webhook>> ListAsync(string accountId, CancellationToken ct);

    /// <summary>Deletes the endpoint of this account and drops its pending deliveries; false when there is none.</summary>
    Task<bool> DeleteAsync(string accountId, string id, CancellationToken ct);

    /// <summary>The latest deliveries to the account's endpoints, newest first.</summary>
    Task<IReadOnlyList<WebhookAttempt>> RecentAttemptsAsync(string accountId, int limit, CancellationToken ct);

    /// <summary>Turns events logged since the last call into pending deliveries; returns how many events it looked at.</summary>
    Task<int> FanOutAsync(int maxEvents, CancellationToken ct);

    /// <summary>
    /// Leases due deliveries: per endpoint and message only the oldest pending one, so an endpoint
    /// sees a message's events in the order they happened, even across retries.
    /// </summary>
    Task<IReadOnlyList<WebhookDelivery>> LeaseAsync(int limit, TimeSpan leaseFor, CancellationToken ct);

    Task RecordSuccessAsync(WebhookDelivery delivery, CancellationToken ct);

    /// <summary>
    /// Records a failed attempt: due again at <paramref name="retryAt"/>, or given up when it is null.
    /// An endpoint failing since before <paramref name="disableFailingSince"/> is disabled, with its pending deliveries.
    /// </summary>
    Task RecordFailureAsync(WebhookDelivery delivery, string error, DateTimeOffset? retryAt, DateTimeOffset disableFailingSince, CancellationToken ct);
}
