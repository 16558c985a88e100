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
    private const long WriteEveryMs = 1000;
    private long _lastWrite = long.MinValue / 2;

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
            // The probe's row needs no fsync of its own: the write only shows that one commits.
            await connection.ExecuteAsync(new CommandDefinition("PRAGMA busy_timeout=5000; PRAGMA synchronous=NORMAL", cancellationToken: ct));
            var id = SqliteIdentity.Read(connection);
            if (db.Identity is { } expected && id != expected)
                return Fail(new("The database file was replaced.", Permanent: true), $"{db.FilePath} is database {id ?? "(none)"}, this process opened {expected}");
            // Readiness is open to anyone: a write at most once a second, so polling it cannot
            // become a stream of writes (the path and identity are still read every time).
            // Monotonic time, not the TimeProvider: this is rate limiting, not the service's now.
            if (Environment.TickCount64 - Interlocked.Read(ref _lastWrite) >= WriteEveryMs)
            {
                // In turn with the group commit and the sender, so they wait on the turn rather than
                // sleep in SQLite's busy handler while the probe holds the write lock.
                using (await db.WriteTurnAsync(ct))
                await using (var tx = await connection.BeginTransactionAsync(ct))
                {
                    await connection.ExecuteAsync(new CommandDefinition("UPDATE storage_identity SET checked_at = @now",
                        new { now = clock.GetUtcNow().ToUnixTimeMilliseconds() }, tx, cancellationToken: ct));
                    await tx.CommitAsync(ct);
                }
                Interlocked.Exchange(ref _lastWrite, Environment.TickCount64);
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
