using EmailApi.Accounts;
using EmailApi.Domains;
using EmailApi.Events;
using EmailApi.Feedback;
using EmailApi.Messages;
using EmailApi.Queue;
using EmailApi.Retention;
using EmailApi.Storage;
using EmailApi.Suppressions;
using EmailApi.TestKit;
using EmailApi.Unsubscribe;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Storage;

/// <summary>The PostgreSQL stores on a new database of the shared test server.</summary>
public sealed class PostgresStoreEngine : StoreEngine
{
    private readonly List<PostgresDb> _pools = [];

    private PostgresStoreEngine(string connectionString, PostgresDb db, FakeTimeProvider clock) : base(new PostgresDialect(db), clock)
    {
        ConnectionString = connectionString;
        _pools.Add(db);
        Queue = new PostgresQueueStore(db, clock);
        Webhooks = new PostgresWebhookStore(new PostgresDialect(db), clock);
        AppSettings = new Dictionary<string, string?> { ["Storage:Provider"] = "Postgres", ["Storage:Postgres:ConnectionString"] = connectionString };
    }

    public string ConnectionString { get; }
    public override string Name => "postgres";
    public override IQueueStore Queue { get; }
    public override IWebhookStore Webhooks { get; }

    public override EmailApi.TlsReports.ITlsReportStore OpenAnotherTlsReportNode() => new EmailApi.TlsReports.SqlTlsReportStore(new PostgresDialect(NewPool()));
    public override IReadOnlyDictionary<string, string?> AppSettings { get; }

    public static async Task<PostgresStoreEngine> CreateAsync(PostgresServer server, FakeTimeProvider clock, CancellationToken ct)
    {
        var connectionString = await server.CreateDatabaseAsync(ct);
        var db = new PostgresDb(connectionString);
        await new PostgresMigrations(db, clock, NullLogger<PostgresMigrations>.Instance).ApplyAsync(ct);
        return new PostgresStoreEngine(connectionString, db, clock);
    }

    public override IQueueStore OpenAnotherNode(FakeTimeProvider clock) => new PostgresQueueStore(NewPool(), clock);

    public override IWebhookStore OpenAnotherWebhookNode(FakeTimeProvider clock) => new PostgresWebhookStore(new PostgresDialect(NewPool()), clock);

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
