using Dapper;
using EmailApi.Storage;

namespace EmailApi.Queue;

/// <summary>
/// Read-only figures about the queue for the metrics endpoint and the sender's health check, in SQL
/// both engines run unchanged. Each reads the partial indexes on <c>recipients</c>, never the whole table.
/// </summary>
public sealed class QueueCounts(SqlDialect sql)
{
    /// <summary>How many recipients are queued, deferred and sending.</summary>
    public async Task<IReadOnlyDictionary<RecipientStatus, long>> CountLiveAsync(CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        return await CountLiveAsync(connection, ct);
    }

    /// <summary>The same counts on a connection the caller holds (the console's queue overview).</summary>
    internal static async Task<IReadOnlyDictionary<RecipientStatus, long>> CountLiveAsync(System.Data.Common.DbConnection connection, CancellationToken ct)
    {
        var rows = await connection.QueryAsync<(string Status, long Count)>(new CommandDefinition("""
            SELECT 'queued', COUNT(*) FROM recipients WHERE status = 'queued'
            UNION ALL SELECT 'deferred', COUNT(*) FROM recipients WHERE status = 'deferred'
            UNION ALL SELECT 'sending', COUNT(*) FROM recipients WHERE status = 'sending'
            """, cancellationToken: ct));
        return rows.ToDictionary(r => RecipientStatusNames.FromDb(r.Status), r => r.Count);
    }

    /// <summary>
    /// When the longest-waiting due work became due: the earliest retry time, or the earliest lease
    /// end (a lease that runs out makes its recipients due again); null when the queue is empty; may lie in the future.
    /// </summary>
    public async Task<DateTimeOffset?> EarliestDueAsync(CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        // Each MIN reads the first entry of a partial index.
        var ms = await connection.ExecuteScalarAsync<long?>(new CommandDefinition("""
            SELECT MIN(t) FROM (
                SELECT MIN(next_attempt_at) AS t FROM recipients WHERE status = 'queued'
                UNION ALL SELECT MIN(next_attempt_at) FROM recipients WHERE status = 'deferred'
                UNION ALL SELECT MIN(lease_until) FROM recipients WHERE status = 'sending') AS due
            """, cancellationToken: ct));
        return ms is { } value ? DateTimeOffset.FromUnixTimeMilliseconds(value) : null;
    }
}
