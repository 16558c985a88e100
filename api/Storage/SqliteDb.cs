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
    // Ends with "synchronous=": each open completes it with FULL or NORMAL, in the same one command.
    private const string ConnectionPragmas = "PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON; " +
        "PRAGMA wal_autocheckpoint=4000; PRAGMA journal_size_limit=67108864; PRAGMA synchronous=";

    public SqliteDb(IOptions<StorageOptions> options)
    {
        FilePath = System.IO.Path.GetFullPath(options.Value.Sqlite.Path);
        AllowCreate = options.Value.Sqlite.AllowCreate;
        ConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = true,
        }.ToString();
        CreatingConnectionString = new SqliteConnectionStringBuilder(ConnectionString) { Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString();
        ProbeConnectionString = new SqliteConnectionStringBuilder(ConnectionString) { Pooling = false }.ToString();
    }

    private readonly SemaphoreSlim _writeTurn = new(1, 1);
    private volatile StorageState.Unavailable? _unavailable;

    public string FilePath { get; }
    public string ConnectionString { get; }

    /// <summary><c>Storage:Sqlite:AllowCreate</c>: see <see cref="SqliteIdentity"/>.</summary>
    public bool AllowCreate { get; }

    /// <summary>For the migrations alone: may create the file.</summary>
    internal string CreatingConnectionString { get; }

    /// <summary>Unpooled: a pooled connection may still hold a file that was deleted from the path.</summary>
    internal string ProbeConnectionString { get; }

    /// <summary>The database's id (<see cref="SqliteIdentity"/>), known once the migrations ran.</summary>
    public string? Identity { get; internal set; }

    /// <summary>Set by the storage monitor: while set, no flush confirms a write, so nothing is acknowledged.</summary>
    public StorageState.Unavailable? Unavailable
    {
        get => _unavailable;
        internal set => _unavailable = value;
    }

    public Task<SqliteConnection> OpenAsync(CancellationToken ct) => OpenAsync("FULL", ct);

    /// <summary>
    /// A connection whose commits do not wait for the disk (<c>synchronous=NORMAL</c>): a commit
    /// writes its log frames and releases the write lock at once. Call <see cref="FlushLog"/> after
    /// the write turn, before anyone is told the transaction is durable.
    /// </summary>
    public Task<SqliteConnection> OpenUnsyncedAsync(CancellationToken ct) => OpenAsync("NORMAL", ct);

    private async Task<SqliteConnection> OpenAsync(string synchronous, CancellationToken ct)
    {
        // SQLite's calls block (disk reads, the busy handler, fsync). With inline socket completions
        // (README, "Runtime settings") this code may run on the socket engine's thread after a
        // socket read, where a blocked call would stall every connection it serves; the pool's
        // threads may block.
        if (!Thread.CurrentThread.IsThreadPoolThread) await Task.Yield();
        var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync(ct);
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = ConnectionPragmas + synchronous;
        await pragma.ExecuteNonQueryAsync(ct);
        return connection;
    }

    /// <summary>
    /// Makes every transaction committed so far durable: an fsync of the log. fsync acts on the file,
    /// not on the descriptor, so syncing a handle of our own flushes the frames every connection wrote
    /// before the call. A commit followed by this is as safe as one with <c>synchronous=FULL</c>, and
    /// SQLite keeps the file consistent either way (it syncs the log before every checkpoint and after
    /// rewriting its header).
    /// </summary>
    public void FlushLog()
    {
        // Opened afresh each time: SQLite deletes and recreates the log when the last connection closes.
        try
        {
            using var log = File.OpenHandle(FilePath + "-wal", FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            RandomAccess.FlushToDisk(log);
        }
        catch (FileNotFoundException)
        {
            // No log: the last connection closed, and closing checkpointed every frame into the
            // database file and synced that. Or the files were deleted, checked below.
        }
        // Open connections keep writing to a deleted file as if nothing happened, and those
        // commits would be lost at the next start: one stat per group commit keeps a deletion
        // from being acknowledged; the monitor's checks catch the rest (replaced, disk full).
        if (!File.Exists(FilePath))
        {
            var gone = new StorageState.Unavailable("The database file is missing.", Permanent: true);
            _unavailable = gone;
            throw new StorageUnavailableException(gone.Reason);
        }
        if (_unavailable is { } unavailable) throw new StorageUnavailableException(unavailable.Reason);
    }

    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = ConnectionPragmas + "FULL";
        pragma.ExecuteNonQuery();
        return connection;
    }

    /// <summary>
    /// SQLite runs one write transaction at a time, and a connection that finds the file locked sleeps
    /// in its busy handler (a millisecond, then longer) instead of waking when the lock is released.
    /// This process's hot write transactions (the group commit, the sender's leases and results) take
    /// turns here instead, so each begins the moment the previous one ends; <c>busy_timeout</c> still
    /// covers every other writer. Dispose the turn after the transaction; those who take turns commit
    /// on <see cref="OpenUnsyncedAsync"/> connections and flush after the turn, so no turn waits for
    /// the disk.
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
