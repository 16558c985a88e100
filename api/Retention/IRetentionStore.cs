namespace EmailApi.Retention;

/// <summary>
/// Set-based pruning, one implementation per engine. Each call works through at most
/// <c>chunk</c> rows per statement, so a large backlog is pruned in short transactions that never
/// hold the writer long and never load rows into memory; it returns the rows it changed.
/// </summary>
public interface IRetentionStore
{
    /// <summary>Drops the raw MIME of messages accepted before <paramref name="before"/> that have no live recipient.</summary>
    Task<int> PruneBodiesAsync(DateTimeOffset before, int chunk, CancellationToken ct);

    /// <summary>Deletes finished messages accepted before <paramref name="before"/> with their recipients, events, tags and webhook deliveries.</summary>
    Task<int> PruneStatusAsync(DateTimeOffset before, int chunk, CancellationToken ct);

    /// <summary>Expired idempotency keys, past rate windows, and finished webhook deliveries older than <paramref name="deliveriesBefore"/>.</summary>
    Task<int> PruneHousekeepingAsync(DateTimeOffset deliveriesBefore, CancellationToken ct);
}
