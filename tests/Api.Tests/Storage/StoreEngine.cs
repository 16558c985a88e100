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
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Storage;

/// <summary>
/// One storage engine's stores on a fresh, migrated database of their own. The store suites are
/// written once against this and run once per engine, so SQLite and PostgreSQL cannot drift.
/// </summary>
public abstract class StoreEngine(SqlDialect dialect, FakeTimeProvider clock) : IAsyncDisposable
{
    public abstract string Name { get; }

    // The engine's own classes, for the hot paths.
    public abstract IQueueStore Queue { get; }
    public abstract IWebhookStore Webhooks { get; }

    // One class each over the engine's dialect.
    public IAccountStore Accounts { get; } = new SqlAccountStore(dialect, clock);
    public IMessageLog Log { get; } = new SqlMessageLog(dialect, clock);
    public ISuppressionStore Suppressions { get; } = new SqlSuppressionStore(dialect, clock);
    public IQueueInsights Insights { get; } = new SqlQueueInsights(dialect, clock);
    public QueueCounts Counts { get; } = new(dialect);
    public IRetentionStore Retention { get; } = new SqlRetentionStore(dialect, clock);
    public IDomainStore Domains { get; } = new SqlDomainStore(dialect);
    public IUnsubscribeStore Unsubscribe { get; } = new SqlUnsubscribeStore(dialect);
    public EmailApi.Delivery.MtaSts.IMtaStsPolicyStore MtaStsPolicies { get; } = new EmailApi.Delivery.MtaSts.SqlMtaStsPolicyStore(dialect);
    public IFeedbackStore Feedback { get; } = new SqlFeedbackStore(dialect);
    public EmailApi.TlsReports.ITlsReportStore TlsReports { get; } = new EmailApi.TlsReports.SqlTlsReportStore(dialect);
    public EmailApi.WebConsole.IConsoleSessionStore ConsoleSessions { get; } = new EmailApi.WebConsole.SqlConsoleSessionStore(dialect, clock);

    /// <summary>A connection of the engine's own, for a test's direct SQL (a count to check a store against).</summary>
    public async Task<System.Data.Common.DbConnection> OpenConnectionAsync() => await dialect.OpenAsync(CancellationToken.None);

    /// <summary>Another sender node's TLS report store on the same database.</summary>
    public abstract EmailApi.TlsReports.ITlsReportStore OpenAnotherTlsReportNode();

    /// <summary>A second process on the same database (its own connections): only PostgreSQL can be shared.</summary>
    public abstract IQueueStore OpenAnotherNode(FakeTimeProvider clock);

    /// <summary>Another node's webhook store on the same database.</summary>
    public abstract IWebhookStore OpenAnotherWebhookNode(FakeTimeProvider clock);

    /// <summary>Settings that point a <see cref="TestApp"/> at this engine's database.</summary>
    public abstract IReadOnlyDictionary<string, string?> AppSettings { get; }

    public abstract ValueTask DisposeAsync();
}
