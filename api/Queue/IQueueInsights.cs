namespace EmailApi.Queue;

/// <summary>
/// Read-mostly views of the queue for people (the console): an account's activity over a window,
/// the queue as the operator sees it, a message's stored source, and "retry now". Every account-scoped
/// call filters on the account, so another account's message reads exactly like a missing one.
/// One SQL text for both engines (<see cref="SqlQueueInsights"/>).
/// </summary>
public interface IQueueInsights
{
    /// <summary>Recipients of the messages accepted since <paramref name="since"/>, by status (a complaint marks its recipient <c>complained</c>).</summary>
    Task<Activity> ActivityAsync(string accountId, DateTimeOffset since, CancellationToken ct);

    /// <summary>Messages accepted per hour since <paramref name="since"/> (hours without any are absent).</summary>
    Task<IReadOnlyDictionary<DateTimeOffset, long>> HourlyAsync(string accountId, DateTimeOffset since, CancellationToken ct);

    /// <summary>The whole queue (every account): due work, deferrals by destination, the oldest live message, the latest replies.</summary>
    Task<QueueOverview> OverviewAsync(int maxDomains, CancellationToken ct);

    /// <summary>The message's MIME source; null when there is no such message of the account, <see cref="StoredSource.Bytes"/> null when retention removed the body.</summary>
    Task<StoredSource?> SourceAsync(string accountId, MessageId id, CancellationToken ct);

    /// <summary>Makes the message's deferred recipients due now (the operator's "retry now"); returns how many.</summary>
    Task<int> RetryNowAsync(string accountId, MessageId id, CancellationToken ct);
}

public sealed record Activity(IReadOnlyDictionary<RecipientStatus, long> Recipients)
{
    public long Count(RecipientStatus status) => Recipients.GetValueOrDefault(status);

    public long Total => Recipients.Values.Sum();
}

public sealed record QueueOverview(
    long Due,
    IReadOnlyDictionary<RecipientStatus, long> Live,
    DateTimeOffset? OldestLive,
    IReadOnlyList<DestinationBacklog> Deferred);

/// <summary>A destination domain with deferred recipients: how many, when the next is due, and the latest reply from it.</summary>
public sealed record DestinationBacklog(string Domain, long Recipients, DateTimeOffset? NextAttemptAt, string? LastResponse, DateTimeOffset? LastResponseAt);

public sealed record StoredSource(byte[]? Bytes);
