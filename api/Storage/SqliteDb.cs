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

    private readonly SemaphoreSlim _writeTurn = new(1, 1);

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

    /// <summary>
    /// SQLite runs one write transaction at a time, and a connection that finds the file locked sleeps
    /// in its busy handler (a millisecond, then longer) instead of waking when the lock is released.
    /// This process's hot write transactions (the group commit, the sender's leases and results) take
    /// turns here instead, so each begins the moment the previous one ends; <c>busy_timeout</c> still
    /// covers every other writer. Dispose the turn after the transaction.
    /// </summary>
    public async Task<IDisposable> WriteTurnAsync(CancellationToken ct)
    {
        await _writeTurn.WaitAsync(ct);
        return new WriteTurn(_writeTurn);
    }

    private sealed class WriteTurn(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) gate.Release();
        }
    }
}
