using Dapper;
using Microsoft.Data.Sqlite;

namespace EmailApi.Storage;

/// <summary>
/// A consistent copy of a running SQLite queue (<c>EmailApi backup --to PATH</c>): <c>VACUUM INTO</c>
/// reads the database in one read transaction, so the copy holds exactly the transactions committed
/// before it began (every message acknowledged by then) while the service goes on accepting and
/// delivering (WAL: readers do not block the writer). The copy is written beside its target and
/// renamed only once SQLite's <c>quick_check</c> passes, so a target that exists is always whole.
/// It keeps the database's identity (<see cref="SqliteIdentity"/>), so restoring it in place of a
/// lost database is accepted.
/// </summary>
public static class SqliteBackup
{
    public sealed record Result(string Target, long Bytes, long Messages, long LiveRecipients);

    public static async Task<Result> RunAsync(string databasePath, string targetPath, CancellationToken ct)
    {
        var source = Path.GetFullPath(databasePath);
        var target = Path.GetFullPath(targetPath);
        if (!File.Exists(source)) throw new StorageStartException($"There is no database at {source} to back up.");
        if (File.Exists(target)) throw new StorageStartException($"{target} exists already; a backup never overwrites a file.");
        if (Path.GetDirectoryName(target) is { } folder) Directory.CreateDirectory(folder);

        var partial = target + ".partial";
        File.Delete(partial);
        try
        {
            await using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = source, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString()))
            {
                await connection.OpenAsync(ct);
                await connection.ExecuteAsync(new CommandDefinition("PRAGMA busy_timeout=10000", cancellationToken: ct));
                await connection.ExecuteAsync(new CommandDefinition("VACUUM INTO @partial", new { partial }, cancellationToken: ct));
            }

            Result result;
            await using (var copy = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = partial, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString()))
            {
                await copy.OpenAsync(ct);
                var check = await copy.ExecuteScalarAsync<string>(new CommandDefinition("PRAGMA quick_check", cancellationToken: ct));
                if (check != "ok") throw new StorageStartException($"The backup of {source} failed SQLite's check ({check}); nothing was written to {target}.");
                var messages = await copy.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM messages", cancellationToken: ct));
                var live = await copy.ExecuteScalarAsync<long>(new CommandDefinition(
                    "SELECT COUNT(*) FROM recipients WHERE status IN ('queued', 'deferred', 'sending')", cancellationToken: ct));
                result = new Result(target, new FileInfo(partial).Length, messages, live);
            }
            File.Move(partial, target);
            return result;
        }
        catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException)
        {
            throw new StorageStartException($"Could not back up {source} to {target}: {ex.Message}");
        }
        finally
        {
            File.Delete(partial);
        }
    }
}
