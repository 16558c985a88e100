using EmailApi.Accounts;
using EmailApi.Delivery.MtaSts;
using EmailApi.Domains;
using EmailApi.Events;
using EmailApi.Feedback;
using EmailApi.Messages;
using EmailApi.Queue;
using EmailApi.Retention;
using EmailApi.Storage;
using EmailApi.Suppressions;
using EmailApi.TlsReports;
using EmailApi.Unsubscribe;

namespace EmailApi.Hosting;

/// <summary>
/// Registers every store once, for the one engine the configuration names. Most stores are one
/// class over the engine's <see cref="SqlDialect"/>; the queue and the webhook outbox have an
/// engine's own class for their hot paths. Lives in the composition root, so that no capability
/// and not <c>Storage/</c> itself has to know all the others.
/// </summary>
public static class StorageRegistration
{
    /// <param name="storage">The <c>Storage</c> section: its provider names the engine.</param>
    /// <param name="sender">This node delivers: on PostgreSQL it listens for other nodes' new work.</param>
    public static IServiceCollection AddStorage(this IServiceCollection services, StorageOptions storage, bool sender)
    {
        if (storage.UsesPostgres)
        {
            services.AddSingleton<PostgresDb>();
            services.AddSingleton<SchemaMigrations, PostgresMigrations>();
            services.AddSingleton<PostgresDialect>();
            services.AddSingleton<SqlDialect>(sp => sp.GetRequiredService<PostgresDialect>());
            services.AddSingleton<IQueueStore, PostgresQueueStore>();
            services.AddSingleton<IWebhookStore, PostgresWebhookStore>();
            services.AddSingleton<IStorageProbe, PostgresStorageProbe>();
            if (sender) services.AddHostedService<PostgresQueueListener>();
        }
        else
        {
            services.AddSingleton<SqliteDb>();
            services.AddSingleton<SchemaMigrations, SqliteMigrations>();
            services.AddSingleton<SqliteDialect>();
            services.AddSingleton<SqlDialect>(sp => sp.GetRequiredService<SqliteDialect>());
            services.AddSingleton<IQueueStore, SqliteQueueStore>();
            services.AddSingleton<IWebhookStore, SqliteWebhookStore>();
            services.AddSingleton<IStorageProbe, SqliteStorageProbe>();
            // SQLite alone needs its WAL checkpointed; PostgreSQL checkpoints on its own.
            services.AddHostedService<SqliteCheckpointer>();
        }

        services.AddSingleton<IAccountStore, SqlAccountStore>();
        services.AddSingleton<IMessageLog, SqlMessageLog>();
        services.AddSingleton<ISuppressionStore, SqlSuppressionStore>();
        services.AddSingleton<QueueCounts>();
        services.AddSingleton<IQueueInsights, SqlQueueInsights>();
        services.AddSingleton<IRetentionStore, SqlRetentionStore>();
        services.AddSingleton<IDomainStore, SqlDomainStore>();
        services.AddSingleton<IUnsubscribeStore, SqlUnsubscribeStore>();
        services.AddSingleton<IMtaStsPolicyStore, SqlMtaStsPolicyStore>();
        services.AddSingleton<ITlsReportStore, SqlTlsReportStore>();
        services.AddSingleton<IFeedbackStore, SqlFeedbackStore>();
        services.AddSingleton<WebConsole.IConsoleSessionStore, WebConsole.SqlConsoleSessionStore>();
        services.AddSingleton<StorageMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<StorageMonitor>());
        return services;
    }
}
