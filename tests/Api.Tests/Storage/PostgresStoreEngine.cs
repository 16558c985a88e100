using EmailApi.Accounts;
using EmailApi.Domains;
using EmailApi.Feedback;
using EmailApi.Events;
using EmailApi.Queue;
using EmailApi.Retention;
using EmailApi.Storage;
using EmailApi.TestKit;
using EmailApi.Unsubscribe;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Storage;

/// <summary>The PostgreSQL stores on a new database of the shared test server.</summary>
public sealed class PostgresStoreEngine : StoreEngine
{
    private readonly List<PostgresDb> _pools = [];

    private PostgresStoreEngine(string connectionString, PostgresDb db, FakeTimeProvider clock)
    {
        ConnectionString = connectionString;
        _pools.Add(db);
        Queue = new PostgresQueueStore(db, clock);
        Accounts = new PostgresAccountStore(db, clock);
        Log = new PostgresMessageLog(db, clock);
        Insights = new PostgresQueueInsights(db, clock);
        Webhooks = new PostgresWebhookStore(db, clock);
        Retention = new PostgresRetentionStore(db, clock);
        Domains = new PostgresDomainStore(db);
        Unsubscribe = new PostgresUnsubscribeStore(db);
        MtaStsPolicies = new EmailApi.Delivery.MtaSts.PostgresMtaStsPolicyStore(db);
        Feedback = new PostgresFeedbackStore(db);
        TlsReports = new EmailApi.TlsReports.PostgresTlsReportStore(db);
        ConsoleSessions = new EmailApi.WebConsole.PostgresConsoleSessionStore(db, clock);
        AppSettings = new Dictionary<string, string?> { ["Storage:Provider"] = "Postgres", ["Storage:Postgres:ConnectionString"] = connectionString };
    }

    public string ConnectionString { get; }
    public override string Name => "postgres";
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
    public override async Task<System.Data.Common.DbConnection> OpenConnectionAsync() => await _pools[0].OpenAsync(CancellationToken.None);

    public override EmailApi.TlsReports.ITlsReportStore OpenAnotherTlsReportNode() => new EmailApi.TlsReports.PostgresTlsReportStore(NewPool());
    public override IReadOnlyDictionary<string, string?> AppSettings { get; }

    public static async Task<PostgresStoreEngine> CreateAsync(PostgresServer server, FakeTimeProvider clock, CancellationToken ct)
    {
        var connectionString = await server.CreateDatabaseAsync(ct);
        var db = new PostgresDb(connectionString);
        await new PostgresMigrations(db, clock, NullLogger<PostgresMigrations>.Instance).ApplyAsync(ct);
        return new PostgresStoreEngine(connectionString, db, clock);
    }

    public override IQueueStore OpenAnotherNode(FakeTimeProvider clock) => new PostgresQueueStore(NewPool(), clock);

    public override IWebhookStore OpenAnotherWebhookNode(FakeTimeProvider clock) => new PostgresWebhookStore(NewPool(), clock);

    // A pool of its own, as another process would have.
    private PostgresDb NewPool()
    {
        var db = new PostgresDb(ConnectionString + $";Application Name=node{_pools.Count}");
        _pools.Add(db);
        return db;
    }

    public override async ValueTask DisposeAsync()
    {
        foreach (var pool in _pools) await pool.DisposeAsync();
    }
}
