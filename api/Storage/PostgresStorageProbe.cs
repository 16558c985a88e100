using Dapper;
using Npgsql;

namespace EmailApi.Storage;

/// <summary>PostgreSQL is ready when a write commits: a server that answers but is read-only (a standby, a full disk) is not.</summary>
public sealed class PostgresStorageProbe(PostgresDb db, TimeProvider clock, ILogger<PostgresStorageProbe> log) : IStorageProbe
{
    public async Task<StorageState> CheckAsync(CancellationToken ct)
    {
        try
        {
            await using var connection = await db.OpenAsync(ct);
            await using var tx = await connection.BeginTransactionAsync(ct);
            // One row per node, so nodes checking at once do not wait for each other's row lock.
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO storage_checks (node, checked_at) VALUES (@node, @now)
                ON CONFLICT (node) DO UPDATE SET checked_at = excluded.checked_at
                """, new { node = Environment.MachineName + ":" + Environment.ProcessId, now = clock.GetUtcNow().ToUnixTimeMilliseconds() }, tx, cancellationToken: ct));
            await tx.CommitAsync(ct);
            return new StorageState.Writable();
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            log.LogError("Storage check failed: the database cannot be written ({Detail})", ex.Message);
            return new StorageState.Unavailable("The database cannot be written.", Permanent: false);
        }
    }
}
