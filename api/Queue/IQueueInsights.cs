namespace EmailApi.Queue;

/// <summary>
/// Read-mostly views of the queue for people (the console): an account's activity over a window,
/// the queue as the operator sees it, a message's stored source, and "retry now". Every account-scoped
/// call filters on the account, so another account's message reads exactly like a missing one.
/// One SQL text for both engines (<see cref="SqlQueueInsights"/>).
/// </summary>
public interface IQueueInsights
{
    /// <summary>
    /// What happened to the account's mail since <paramref name="since"/> (at most <see cref="SqlQueueInsights.RollupKept"/>
    /// ago): its events by kind (recipients accepted, delivered, deferred, bounced, complained, ...), counted
    /// by the time each happened. Exact: closed hours come from the roll-up, the rest from the events.
    /// </summary>
    Task<Activity> ActivityAsync(string accountId, DateTimeOffset since, CancellationToken ct);

    /// <summary>Recipients accepted per UTC hour since <paramref name="since"/> (hours without any are absent).</summary>
    Task<IReadOnlyDictionary<DateTimeOffset, long>> HourlyAsync(string accountId, DateTimeOffset since, CancellationToken ct);

    /// <summary>Rolls up the closed hours not yet rolled up (the reads do it too); returns the mark before which every hour is rolled up.</summary>
    Task<DateTimeOffset> RollUpAsync(CancellationToken ct);

    /// <summary>The whole queue (every account): due work, deferrals by destination, the oldest live message, the latest replies.</summary>
    Task<QueueOverview> OverviewAsync(int maxDomains, CancellationToken ct);

    /// <summary>The message's MIME source; null when there is no such message of the account, <see cref="StoredSource.Bytes"/> null when retention removed the body.</summary>
    Task<StoredSource?> SourceAsync(string accountId, MessageId id, CancellationToken ct);

    /// <summary>Makes the message's deferred recipients due now (the operator's "retry now"); returns how many.</summary>
    Task<int> RetryNowAsync(string accountId, MessageId id, CancellationToken ct);
}

/// <summary>Event counts by kind (the <c>events.type</c> values: a recipient status's name, or <c>unsubscribed</c>).</summary>
public sealed record Activity(IReadOnlyDictionary<string, long> ByKind)
{
    /// <summary>The kinds an accepted recipient starts with: queued, or suppressed when its address is on the list.</summary>
    public static readonly string[] AcceptedKinds = [RecipientStatus.Queued.ToDb(), RecipientStatus.Suppressed.ToDb()];

    public long Count(RecipientStatus kind) => ByKind.GetValueOrDefault(kind.ToDb());

    /// <summary>Recipients accepted (the "sent" figure).</summary>
    public long Accepted => AcceptedKinds.Sum(k => ByKind.GetValueOrDefault(k));

    /// <summary>Delivery attempts that ended undeliverable: bounced, or failed (retries exhausted).</summary>
    public long Bounced => Count(RecipientStatus.Bounced) + Count(RecipientStatus.Failed);
}

public sealed record QueueOverview(
    long Due,
    IReadOnlyDictionary<RecipientStatus, long> Live,
    DateTimeOffset? OldestLive,
    IReadOnlyList<DestinationBacklog> Deferred);

/// <summary>A destination domain with deferred recipients: how many, when the next is due, and the latest reply from it.</summary>
public sealed record DestinationBacklog(string Domain, long Recipients, DateTimeOffset? NextAttemptAt, string? LastResponse, DateTimeOffset? LastResponseAt);

public sealed record StoredSource(byte[]? Bytes);
