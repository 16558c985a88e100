using EmailApi.Accounts;
using EmailApi.Domains;
using EmailApi.Feedback;
using EmailApi.Events;
using EmailApi.Queue;
using EmailApi.Retention;
using EmailApi.Storage;
using EmailApi.Unsubscribe;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Storage;

/// <summary>The SQLite stores on a temp file, deleted on dispose.</summary>
public sealed class SqliteStoreEngine : StoreEngine
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "emailapi-store", Guid.NewGuid().ToString("N"));
    private readonly SqliteDb _db;

    public SqliteStoreEngine(FakeTimeProvider clock)
    {
        var path = Path.Combine(_dir, "q.db");
        _db = new SqliteDb(Options.Create(new StorageOptions { Sqlite = { Path = path } }));
        new SqliteMigrations(_db, clock, NullLogger<SqliteMigrations>.Instance).Apply();
        Queue = new SqliteQueueStore(_db, clock);
        Accounts = new SqliteAccountStore(_db, clock);
        Log = new SqliteMessageLog(_db, clock);
        Insights = new SqliteQueueInsights(_db, clock);
        Webhooks = new SqliteWebhookStore(_db, clock);
        Retention = new SqliteRetentionStore(_db, clock);
        Domains = new SqliteDomainStore(_db);
        Unsubscribe = new SqliteUnsubscribeStore(_db);
        MtaStsPolicies = new EmailApi.Delivery.MtaSts.SqliteMtaStsPolicyStore(_db);
        Feedback = new SqliteFeedbackStore(_db);
        TlsReports = new EmailApi.TlsReports.SqliteTlsReportStore(_db);
        ConsoleSessions = new EmailApi.WebConsole.SqliteConsoleSessionStore(_db, clock);
        AppSettings = new Dictionary<string, string?> { ["Storage:Provider"] = "Sqlite", ["Storage:Sqlite:Path"] = path };
    }

    public override string Name => "sqlite";
    public SqliteDb Db => _db;
    public override IQueueStore Queue { get; }
    public override IAccountStore Accounts { get; }
    public override IMessageLog Log { get; }
    public override IQueueInsights Insights { get; }
    public override IWebhookStore Webhooks { get; }
    public override IRetentionStore Retention { get; }
    public override IDomainStore Domains { get; }
    public override IUnsubscribeStore Unsubscribe { get; }
    public override EmailApi.Delivery.MtaSts.IMtaStsPolicyStore MtaStsPolicies { get; }
    public override IFeedbackStore Feedback { get; }
    public override EmailApi.TlsReports.ITlsReportStore TlsReports { get; }
    public override EmailApi.WebConsole.IConsoleSessionStore ConsoleSessions { get; }
    public override async Task<System.Data.Common.DbConnection> OpenConnectionAsync() => await _db.OpenAsync(CancellationToken.None);

    public override EmailApi.TlsReports.ITlsReportStore OpenAnotherTlsReportNode() => new EmailApi.TlsReports.SqliteTlsReportStore(_db);
    public override IReadOnlyDictionary<string, string?> AppSettings { get; }

    public override IQueueStore OpenAnotherNode(FakeTimeProvider clock) => new SqliteQueueStore(_db, clock);

    public override IWebhookStore OpenAnotherWebhookNode(FakeTimeProvider clock) => new SqliteWebhookStore(_db, clock);

    public override ValueTask DisposeAsync()
    {
        ((SqliteQueueStore)Queue).Dispose();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }
}
