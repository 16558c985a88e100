using Dapper;
using EmailApi.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EmailApi.Tests.Storage;

public sealed class SqliteCheckpointerTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "emailapi-checkpoint", Guid.NewGuid().ToString("N"));
    private readonly SqliteDb _db;

    public SqliteCheckpointerTests()
    {
        Directory.CreateDirectory(_dir);
        _db = new SqliteDb(Options.Create(new StorageOptions { Sqlite = { Path = Path.Combine(_dir, "c.db") } }));
        File.WriteAllBytes(_db.FilePath, []);   // connections never create the file; an empty file is an empty database
    }

    // Commits stay in the WAL (below the automatic threshold) until the checkpointer copies them
    // into the database file; the writer never has to.
    [Fact]
    public async Task Checkpointer_CopiesCommittedPagesIntoTheDatabaseFile()
    {
        await using var writer = await _db.OpenAsync(CancellationToken.None);
        await writer.ExecuteAsync("PRAGMA journal_mode=WAL; CREATE TABLE t (b BLOB)");
        await writer.ExecuteAsync("PRAGMA wal_checkpoint(TRUNCATE)");
        var before = new FileInfo(_db.FilePath).Length;
        for (var i = 0; i < 200; i++) await writer.ExecuteAsync("INSERT INTO t (b) VALUES (randomblob(4000))");
        Assert.Equal(before, new FileInfo(_db.FilePath).Length);   // all 200 commits are still in the WAL only

        using var checkpointer = new SqliteCheckpointer(_db, NullLogger<SqliteCheckpointer>.Instance);
        await checkpointer.StartAsync(CancellationToken.None);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (new FileInfo(_db.FilePath).Length < before + 200 * 4000 && DateTime.UtcNow < deadline) await Task.Delay(50);
        await checkpointer.StopAsync(CancellationToken.None);

        Assert.True(new FileInfo(_db.FilePath).Length >= before + 200 * 4000, $"database file is {new FileInfo(_db.FilePath).Length} bytes");
        Assert.Equal(200, await writer.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM t"));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
