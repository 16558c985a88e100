using Dapper;
using Microsoft.Data.Sqlite;

namespace EmailApi.Storage;

/// <summary>
/// Ties the SQLite database to its data folder. The database holds a random id (table
/// <c>storage_identity</c>) and an identity file beside it (<c>&lt;db&gt;.id</c>) holds the same id.
/// On start, an identity file without its database means the database was lost (deleted, a disk
/// not mounted): the start is refused rather than an empty database created over the folder,
/// unless <c>Storage:Sqlite:AllowCreate</c> says so. While running, the id read through the path
/// must stay the one the process started with, or the path no longer leads to the file the
/// process has open (deleted and recreated, replaced).
/// </summary>
public static class SqliteIdentity
{
    public static string MarkerPath(string databasePath) => databasePath + ".id";

    /// <summary>Before anything opens the file: refuses a missing database that the identity file says existed.</summary>
    public static void CheckBeforeOpen(string databasePath, bool allowCreate)
    {
        var marker = MarkerPath(databasePath);
        if (File.Exists(databasePath) || !File.Exists(marker) || allowCreate) return;
        throw new StorageStartException(
            $"The database {databasePath} is missing, but {marker} shows that database {ReadMarker(marker)} was there: " +
            "mail it had accepted would be lost. Restore the file (with its -wal file), or set Storage:Sqlite:AllowCreate=true to start with an empty database.");
    }

    /// <summary>Reads the database's id, giving it one when it has none (new, or from a version before ids), and writes the identity file.</summary>
    public static string Establish(SqliteConnection connection, string databasePath, bool allowCreate, DateTimeOffset now)
    {
        connection.Execute("CREATE TABLE IF NOT EXISTS storage_identity (id TEXT NOT NULL, created_at INTEGER NOT NULL, checked_at INTEGER NOT NULL)");
        var id = connection.ExecuteScalar<string?>("SELECT id FROM storage_identity LIMIT 1");
        if (id is null)
        {
            id = Guid.NewGuid().ToString("N");
            connection.Execute("INSERT INTO storage_identity (id, created_at, checked_at) VALUES (@id, @now, @now)", new { id, now = now.ToUnixTimeMilliseconds() });
        }

        var marker = MarkerPath(databasePath);
        var recorded = File.Exists(marker) ? ReadMarker(marker) : null;
        if (recorded is not null && recorded != id && !allowCreate)
            throw new StorageStartException(
                $"The database {databasePath} is database {id}, but {marker} shows that database {recorded} was there: another file was put in its place. " +
                "Restore the original, or delete the identity file (or set Storage:Sqlite:AllowCreate=true) to adopt this one.");
        if (recorded != id) WriteMarker(marker, id);
        return id;
    }

    /// <summary>The id of the database the path leads to now, read on a connection of its own (never a pooled one, which may hold a deleted file).</summary>
    public static string? Read(SqliteConnection connection) =>
        connection.ExecuteScalar<string?>("SELECT id FROM storage_identity LIMIT 1");

    private static string ReadMarker(string marker) => File.ReadAllText(marker).Trim();

    private static void WriteMarker(string marker, string id)
    {
        // Written aside and renamed, so a crash leaves either the old identity file or the new one.
        var temp = marker + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(System.Text.Encoding.ASCII.GetBytes(id + "\n"));
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, marker, overwrite: true);
    }
}
