using EmailApi.Accounts;
using EmailApi.Domains;
using EmailApi.Events;
using EmailApi.Feedback;
using EmailApi.Queue;
using EmailApi.Retention;
using EmailApi.Unsubscribe;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace EmailApi.Storage;

/// <summary>
/// <c>Storage:Provider=Postgres</c>: swaps every SQLite store for its PostgreSQL twin. Called last,
/// after everything is registered, so it replaces whatever the SQLite registrations put there; a
/// store that still has only an SQLite implementation stops the start with a clear error instead
/// of quietly writing to a local file while the rest of the cluster shares PostgreSQL.
/// </summary>
public static class PostgresRegistration
{
    /// <param name="sender">This node delivers: it listens for other nodes' new work.</param>
    public static IServiceCollection UsePostgresStores(this IServiceCollection services, bool sender)
    {
        services.AddSingleton<PostgresDb>();
        services.AddSingleton<PostgresMigrations>();
        if (sender) services.AddHostedService<PostgresQueueListener>();
        Replace<IQueueStore, PostgresQueueStore>(services);
        Replace<IAccountStore, PostgresAccountStore>(services);
        Replace<IMessageLog, PostgresMessageLog>(services);
        Replace<IQueueInsights, PostgresQueueInsights>(services);
        Replace<WebConsole.IConsoleSessionStore, WebConsole.PostgresConsoleSessionStore>(services);
        Replace<IWebhookStore, PostgresWebhookStore>(services);
        Replace<IRetentionStore, PostgresRetentionStore>(services);
        Replace<IDomainStore, PostgresDomainStore>(services);
        Replace<IUnsubscribeStore, PostgresUnsubscribeStore>(services);
        Replace<Delivery.MtaSts.IMtaStsPolicyStore, Delivery.MtaSts.PostgresMtaStsPolicyStore>(services);
        Replace<TlsReports.ITlsReportStore, TlsReports.PostgresTlsReportStore>(services);
        Replace<IFeedbackStore, PostgresFeedbackStore>(services);
        Replace<IStorageProbe, PostgresStorageProbe>(services);

        var leftover = services
            .Where(d => d.ImplementationType is { } t && t.Name.StartsWith("Sqlite", StringComparison.Ordinal)
                        && t != typeof(SqliteDb) && t != typeof(SqliteMigrations))
            .Select(d => $"{d.ServiceType.Name} → {d.ImplementationType!.Name}")
            .ToArray();
        if (leftover.Length > 0)
            throw new InvalidOperationException($"Storage:Provider=Postgres, but these stores have no PostgreSQL implementation yet: {string.Join(", ", leftover)}.");
        return services;
    }

    private static void Replace<TService, TImplementation>(IServiceCollection services)
        where TService : class
        where TImplementation : class, TService
    {
        services.RemoveAll<TService>();
        services.AddSingleton<TService, TImplementation>();
    }
}
