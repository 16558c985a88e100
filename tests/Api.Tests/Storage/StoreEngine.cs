using EmailApi.Accounts;
using EmailApi.Domains;
using EmailApi.Feedback;
using EmailApi.Events;
using EmailApi.Queue;
using EmailApi.Retention;
using EmailApi.Unsubscribe;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Storage;

/// <summary>
/// One storage engine's stores on a fresh, migrated database of their own. The store suites are
/// written once against this and run once per engine, so SQLite and PostgreSQL cannot drift.
/// </summary>
public abstract class StoreEngine : IAsyncDisposable
{
    public abstract string Name { get; }
    public abstract IQueueStore Queue { get; }
    public abstract IAccountStore Accounts { get; }
    public abstract IMessageLog Log { get; }
    public abstract IQueueInsights Insights { get; }
    public abstract IWebhookStore Webhooks { get; }
    public abstract IRetentionStore Retention { get; }
    public abstract IDomainStore Domains { get; }
    public abstract IUnsubscribeStore Unsubscribe { get; }
    public abstract EmailApi.Delivery.MtaSts.IMtaStsPolicyStore MtaStsPolicies { get; }
    public abstract IFeedbackStore Feedback { get; }
    public abstract EmailApi.TlsReports.ITlsReportStore TlsReports { get; }
    public abstract EmailApi.WebConsole.IConsoleSessionStore ConsoleSessions { get; }

    /// <summary>A connection of the engine's own, for a test's direct SQL (a count to check a store against).</summary>
    public abstract Task<System.Data.Common.DbConnection> OpenConnectionAsync();

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
