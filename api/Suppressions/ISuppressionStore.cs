namespace EmailApi.Suppressions;

/// <summary>
/// An account's suppression list: addresses it will not send to. Entries are added by hand, by a
/// hard bounce (the queue writes those with the bounce, in its own transaction), or by an inbound
/// report; every call is scoped to one account. Addresses are stored lower-case.
/// </summary>
public interface ISuppressionStore
{
    /// <summary>Up to <paramref name="limit"/> entries in address order, after <paramref name="after"/> when given.</summary>
    Task<IReadOnlyList<Suppression>> ListAsync(string accountId, string? after, int limit, CancellationToken ct);

    /// <summary>Adds an entry from <paramref name="source"/>; false when the address was already suppressed (the first entry stays).</summary>
    Task<bool> AddAsync(string accountId, string address, string reason, SuppressionSource source, CancellationToken ct);

    /// <summary>False when the address was not on the list.</summary>
    Task<bool> RemoveAsync(string accountId, string address, CancellationToken ct);
}
