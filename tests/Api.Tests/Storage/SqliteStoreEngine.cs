using EmailApi.Accounts;
using EmailApi.Domains;
using EmailApi.Events;
using EmailApi.Feedback;
using EmailApi.Messages;
using EmailApi.Queue;
using EmailApi.Retention;
using EmailApi.Storage;
using EmailApi.Suppressions;
using EmailApi.Unsubscribe;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Storage;

/// <summary>The SQLite stores on a temp file, deleted on dispose.</summary>
public sealed class SqliteStoreEngine : StoreEngine
{
    private readonly SqliteDb _db;

    private SqliteStoreEngine(SqliteDb db, string path, FakeTimeProvider clock) : base(new SqliteDialect(db), clock)
    {
        _db = db;
        Queue = new SqliteQueueStore(_db, clock);
        Webhooks = new SqliteWebhookStore(new SqliteDialect(_db), clock);
        AppSettings = new Dictionary<string, string?> { ["Storage:Provider"] = "Sqlite", ["Storage:Sqlite:Path"] = path };
    }

    public static async Task<StoreEngine> CreateAsync(FakeTimeProvider clock)
    {
        var dir = Path.Combine(Path.GetTempPath(), "emailapi-store", Guid.NewGuid().ToString("N"));
        var path = Path.Combine(dir, "q.db");
        var db = new SqliteDb(Options.Create(new StorageOptions { Sqlite = { Path = path } }));
        await new SqliteMigrations(db, clock, NullLogger<SqliteMigrations>.Instance).ApplyAsync(CancellationToken.None);
        return new SqliteStoreEngine(db, path, clock);
    }

    public override string Name => "sqlite";
    public SqliteDb Db => _db;
    public override IQueueStore Queue { get; }
    public override IWebhookStore Webhooks { get; }

    public override EmailApi.TlsReports.ITlsReportStore OpenAnotherTlsReportNode() => new EmailApi.TlsReports.SqlTlsReportStore(new SqliteDialect(_db));
    public override IReadOnlyDictionary<string, string?> AppSettings { get; }

    public override IQueueStore OpenAnotherNode(FakeTimeProvider clock) => new SqliteQueueStore(_db, clock);

    public override IWebhookStore OpenAnotherWebhookNode(FakeTimeProvider clock) => new SqliteWebhookStore(new SqliteDialect(_db), clock);

    public override ValueTask DisposeAsync()
    {
        ((SqliteQueueStore)Queue).Dispose();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(Path.GetDirectoryName(_db.FilePath)!, recursive: true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }
}
