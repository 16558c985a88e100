using EmailApi.Compat;
using System.Text.Json;
using System.Text.Json.Serialization;
using EmailApi.Accounts;
using EmailApi.Delivery;
using EmailApi.Domains;
using EmailApi.Events;
using EmailApi.Feedback;
using EmailApi.Mail;
using EmailApi.Queue;
using EmailApi.Retention;
using EmailApi.Sending;
using EmailApi.Storage;
using EmailApi.Unsubscribe;
using EmailApi.WebConsole;
using FluentValidation;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace EmailApi.Hosting;

public static class ServiceRegistration
{
    public static WebApplicationBuilder AddEmailApi(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        var roles = Roles.From(configuration);
        services.AddSingleton(roles);
        services.AddTelemetry();
        // The relay records TLS results; only with TLS reports on are they also kept for the report worker.
        services.AddSingleton(sp => new Delivery.MtaSts.TlsResults(
            sp.GetRequiredService<IOptions<TlsReports.TlsReportOptions>>().Value.Enabled, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<DeliveryMetrics>()));
        services.Configure<TlsReports.TlsReportOptions>(configuration.GetSection(TlsReports.TlsReportOptions.Section));
        services.Configure<Delivery.MtaSts.MtaStsOptions>(configuration.GetSection(Delivery.MtaSts.MtaStsOptions.Section));
        services.AddSingleton(TimeProvider.System);
        // Graceful stop: the sender gives running transactions a few seconds, then releases its leases.
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));

        services.Configure<StorageOptions>(configuration.GetSection(StorageOptions.Section));
        // The relay's host name is the whole host's (EHLO, Message-IDs, greetings): Sending, Delivery and the listeners read it.
        services.Configure<RelayHostOptions>(o => o.HostName = RelayHostOptions.NameFrom(configuration));
        services.Configure<DeliveryOptions>(configuration.GetSection(DeliveryOptions.Section));
        services.Configure<HopLimitOptions>(configuration.GetSection(DeliveryOptions.Section));
        services.Configure<BounceNotificationOptions>(configuration.GetSection(DeliveryOptions.Section));
        services.Configure<SendingOptions>(configuration.GetSection(SendingOptions.Section));
        services.Configure<BootstrapOptions>(configuration.GetSection(BootstrapOptions.Section));
        services.Configure<AccountsOptions>(configuration.GetSection(AccountsOptions.Section));
        // Checked once more when the host starts, for anyone who builds it without SettingsCheck first.
        services.AddSettingsValidation(configuration);

        // Every store, for the configured engine: an embedded SQLite file, or PostgreSQL shared by many nodes.
        services.AddStorage(StorageOptions.From(configuration), roles.Sender);
        // Webhooks and retention are background work: they run where the sender runs.
        services.Configure<WebhookOptions>(configuration.GetSection(WebhookOptions.Section));
        services.Configure<RetentionOptions>(configuration.GetSection(RetentionOptions.Section));
        services.AddSingleton<WebhookAddressGuard>();
        services.AddSingleton<RetentionWorker>();
        if (roles.Sender)
        {
            services.AddHostedService<WebhookDispatcher>();
            services.AddHostedService(sp => sp.GetRequiredService<RetentionWorker>());
        }
        services.AddSingleton<QueueSignal>();
        services.AddSingleton<QueueWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<QueueWriter>());

        services.AddSingleton<ApiKeyAuthenticator>();
        services.AddSingleton<AccountDirectory>();
        services.AddSingleton<AccountBootstrapper>();
        services.AddSingleton<SubmissionService>();
        services.AddSingleton<DkimSigning>();
        services.AddSingleton<SenderDomainRule>();
        builder.AddDomains(roles.Sender);
        services.AddUnsubscribe(configuration);
        services.AddSingleton<VerpKeys>();
        services.AddSingleton<ReturnPaths>();
        services.Configure<InboundOptions>(configuration.GetSection(InboundOptions.Section));
        if (roles.Mx && configuration.GetValue($"{InboundOptions.Section}:Port", new InboundOptions().Port) >= 0)
        {
            services.AddSingleton<InboundPort>();
            services.AddSingleton<InboundListener>();
            services.AddHostedService(sp => sp.GetRequiredService<InboundListener>());
        }
        services.AddSingleton<MailedUnsubscribe>();
        if (roles.Sender) services.AddHostedService<FeedbackProcessor>();
        services.Configure<DkimOptions>(configuration.GetSection(DkimOptions.Section));
        services.AddSingleton<MessageComposer>();
        services.AddSingleton<SendMessageValidator>();
        services.AddCompat(configuration);
        ValidatorOptions.Global.LanguageManager.Enabled = false;

        builder.AddSmtpBridge(roles);
        builder.AddWebConsole(roles.Api);
        if (roles.Sender)
        {
            services.AddSingleton<MxResolver>();
            services.AddSingleton<SmtpConnectionCache>();
            services.AddSingleton<SmtpRelay>();
            services.AddSingleton<Delivery.MtaSts.MtaStsPolicies>();
            services.AddSingleton<Delivery.MtaSts.CertificateCheck>();
            services.AddHostedService<TlsReports.TlsReportWorker>();
            services.AddSingleton<LoopGuard>();
            services.AddOwnListeners();
            services.AddSingleton<RetrySchedule>();
            services.AddSingleton<DestinationThrottle>();
            services.AddSingleton<SenderHeartbeat>();
            // Before the sender: the host stops services in reverse order, so the results of the
            // sender's last jobs are still written while it stops.
            services.AddSingleton<ResultWriter>();
            services.AddHostedService(sp => sp.GetRequiredService<ResultWriter>());
            services.AddHostedService<DeliveryWorker>();
        }

        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Scopes.Send, p => p.RequireClaim(ApiKeyAuthenticationHandler.ScopeClaim, Scopes.Send))
            .AddPolicy(Scopes.Read, p => p.RequireClaim(ApiKeyAuthenticationHandler.ScopeClaim, Scopes.Read))
            .AddPolicy(Scopes.Admin, p => p.RequireClaim(ApiKeyAuthenticationHandler.ScopeClaim, Scopes.Admin));

        services.AddProblemDetails();
        services.AddExceptionHandler<StorageExceptionHandler>();
        services.ConfigureHttpJsonOptions(o => ApiJson(o.SerializerOptions));
        // The console brings MVC (Razor Pages), and then Swashbuckle describes JSON by MVC's options: keep them the API's.
        services.Configure<Microsoft.AspNetCore.Mvc.JsonOptions>(o => ApiJson(o.JsonSerializerOptions));
        services.Configure<HealthOptions>(configuration.GetSection(HealthOptions.Section));
        var health = services.AddHealthChecks().AddCheck<StorageHealthCheck>("storage", tags: ["ready"]);
        if (roles.Sender) health.AddCheck<SenderHealthCheck>("sender", tags: ["ready"]);
        services.AddEmailApiSwagger();

        // Room for the largest message as base64 inside JSON (4/3 of its size) plus the other fields.
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            var max = context.Configuration.GetSection(SendingOptions.Section).Get<SendingOptions>()?.MaxMessageBytes ?? new SendingOptions().MaxMessageBytes;
            kestrel.Limits.MaxRequestBodySize = max * 4 / 3 + 1024 * 1024;
        });
        services.Configure<FormOptions>(o => o.MultipartBodyLengthLimit = 64 * 1024 * 1024);
        return builder;
    }

    private static void ApiJson(JsonSerializerOptions o)
    {
        o.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        o.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
    }

    /// <summary>Migrates the database and creates the first account; runs before anything is served.</summary>
    public static async Task InitializeStorageAsync(this IServiceProvider services, CancellationToken ct)
    {
        // On PostgreSQL nodes starting together take turns on an advisory lock: one migrates, one creates the first account.
        var bootstrapper = services.GetRequiredService<AccountBootstrapper>();
        await services.GetRequiredService<SchemaMigrations>().ApplyAsync(bootstrapper.RunAsync, ct);
    }
}
