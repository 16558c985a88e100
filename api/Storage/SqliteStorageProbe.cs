using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace EmailApi.Storage;

/// <summary>
/// The SQLite file behind its path: still there, still the same database (<see cref="SqliteIdentity"/>),
/// a write commits, and the data folder's disk has room. Reads through a connection of its own, since
/// pooled connections keep using a deleted file without error.
/// </summary>
public sealed class SqliteStorageProbe(SqliteDb db, IOptions<StorageOptions> options, TimeProvider clock, ILogger<SqliteStorageProbe> log) : IStorageProbe
{
    public async Task<StorageState> CheckAsync(CancellationToken ct)
    {
        var state = await ProbeAsync(ct);
        // Gates every group commit's acknowledgement (SqliteDb.FlushLog). A lost file stays lost:
        // pooled connections still hold it, so even a restored file is only safe after a restart.
        if (db.Unavailable is { Permanent: true } lost) return lost;
        db.Unavailable = state as StorageState.Unavailable;
        return state;
    }

    private async Task<StorageState> ProbeAsync(CancellationToken ct)
    {
        if (!File.Exists(db.FilePath))
            return Fail(new("The database file is missing.", Permanent: true), $"{db.FilePath} does not exist");
        try
        {
            await using var connection = new SqliteConnection(db.ProbeConnectionString);
            await connection.OpenAsync(ct);
            await connection.ExecuteAsync(new CommandDefinition("PRAGMA busy_timeout=5000", cancellationToken: ct));
            var id = SqliteIdentity.Read(connection);
            if (db.Identity is { } expected && id != expected)
                return Fail(new("The database file was replaced.", Permanent: true), $"{db.FilePath} is database {id ?? "(none)"}, this process opened {expected}");
            await using (var tx = await connection.BeginTransactionAsync(ct))
            {
                await connection.ExecuteAsync(new CommandDefinition("UPDATE storage_identity SET checked_at = @now",
                    new { now = clock.GetUtcNow().ToUnixTimeMilliseconds() }, tx, cancellationToken: ct));
                await tx.CommitAsync(ct);
            }
        }
        catch (SqliteException ex)
        {
            return Fail(new("The database cannot be written.", Permanent: false), ex.Message);
        }

        var minimum = options.Value.MinFreeBytes;
        if (minimum > 0)
        {
            var free = new DriveInfo(Path.GetDirectoryName(db.FilePath)!).AvailableFreeSpace;
            if (free < minimum)
                return Fail(new("The data folder's disk is full.", Permanent: false), $"{free} bytes free, below Storage:MinFreeBytes ({minimum})");
        }
        return new StorageState.Writable();
    }

    private StorageState.Unavailable Fail(StorageState.Unavailable state, string detail)
    {
        log.LogError("Storage check failed: {Reason} ({Detail})", state.Reason, detail);
        return state;
    }
}
