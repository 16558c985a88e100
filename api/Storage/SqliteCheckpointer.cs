using Dapper;
using Microsoft.Data.Sqlite;

namespace EmailApi.Storage;

/// <summary>
/// Copies committed pages from the WAL into the database file in the background. SQLite would
/// otherwise do it inside whichever commit pushes the WAL past its threshold, and that commit is
/// the group-commit writer's: every submission waiting on it would wait for the checkpoint too.
/// A passive checkpoint never blocks writers or readers; connections keep a high automatic
/// threshold (<see cref="SqliteDb"/>) only as a fallback should this loop fall behind. The loop keeps
/// one connection open, so a tick costs one statement, not a connection's set-up pragmas.
/// </summary>
public sealed class SqliteCheckpointer(SqliteDb db, ILogger<SqliteCheckpointer> log) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        SqliteConnection? connection = null;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    connection ??= await db.OpenAsync(stoppingToken);
                    await connection.ExecuteAsync("PRAGMA wal_checkpoint(PASSIVE)");
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    log.LogWarning(ex, "WAL checkpoint failed; the next commit past the threshold will checkpoint instead");
                    connection?.Dispose();
                    connection = null;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            connection?.Dispose();
        }
    }
}
