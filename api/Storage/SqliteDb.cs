using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace EmailApi.Storage;

/// <summary>
/// Opens connections to the SQLite file with the pragmas every connection needs.
/// Only <c>journal_mode=WAL</c> persists in the file; <c>synchronous=FULL</c> (an acknowledged
/// commit survives power loss) and <c>busy_timeout</c> must be set on each connection.
/// </summary>
public sealed class SqliteDb
{
    private const string ConnectionPragmas = "PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON; " +
        "PRAGMA wal_autocheckpoint=4000; PRAGMA journal_size_limit=67108864;";

    public SqliteDb(IOptions<StorageOptions> options)
    {
        FilePath = System.IO.Path.GetFullPath(options.Value.Sqlite.Path);
        ConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
        }.ToString();
    }

    public string FilePath { get; }
    public string ConnectionString { get; }

    public async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync(ct);
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = ConnectionPragmas;
        await pragma.ExecuteNonQueryAsync(ct);
        return connection;
    }

    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = ConnectionPragmas;
        pragma.ExecuteNonQuery();
        return connection;
    }
}
