using EmailApi.Delivery;
using EmailApi.Queue;
using EmailApi.Sending;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry.Metrics;

namespace EmailApi.Hosting;

/// <summary>
/// Metrics the .NET way: each capability owns its instruments on System.Diagnostics.Metrics
/// (<see cref="QueueMetrics"/>, <see cref="DeliveryMetrics"/>, <see cref="SendingMetrics"/>,
/// <see cref="SmtpBridge.SmtpMetrics"/>), and
/// OpenTelemetry exports them at <c>/metrics</c> in the Prometheus text format, together with
/// ASP.NET Core's and Kestrel's built-in instruments and the runtime's (GC, JIT, CPU, thread pool).
/// </summary>
public static class Telemetry
{
    public static IServiceCollection AddTelemetry(this IServiceCollection services)
    {
        services.AddJsonLogTimestamps();
        services.AddSingleton<QueueMetrics>();
        services.AddSingleton<DeliveryMetrics>();
        services.AddSingleton<SendingMetrics>();
        services.AddSingleton<SmtpBridge.SmtpMetrics>();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(QueueMetrics.MeterName, DeliveryMetrics.MeterName, SendingMetrics.MeterName, SmtpBridge.SmtpMetrics.MeterName)
            // Meters are per host (IMeterFactory) but listened to by name: where several hosts share
            // a process (the test suite), each exports its own instruments only. The runtime's meter
            // has no factory and is the process's, so every host shows it.
            .OwnMetersOnly()
            .AddAspNetCoreInstrumentation()
            .AddRuntimeInstrumentation()
            // Every scrape sees the figures of that moment: a test or a benchmark reads a counter
            // right after the work it counts (the exporter caches a response for 300 ms by default).
            // No otel_scope_name label on every series: the names stay those dashboards already use.
            .AddPrometheusExporter(o =>
            {
                o.ScrapeResponseCacheDurationMilliseconds = 0;
                o.ScopeInfoEnabled = false;
            }));
        return services;
    }

    private static MeterProviderBuilder OwnMetersOnly(this MeterProviderBuilder metrics)
    {
        ((IDeferredMeterProviderBuilder)metrics).Configure((provider, builder) =>
        {
            var own = provider.GetRequiredService<IMeterFactory>();
            builder.AddView(instrument => instrument.Meter.Scope is IMeterFactory other && !ReferenceEquals(other, own) ? MetricStreamConfiguration.Drop : null);
        });
        return metrics;
    }

    /// <summary>
    /// With <c>Logging:Console:FormatterName=json</c> each line carries a UTC ISO 8601 timestamp
    /// unless <c>Logging:Console:FormatterOptions:TimestampFormat</c> chooses another format.
    /// </summary>
    public static IServiceCollection AddJsonLogTimestamps(this IServiceCollection services) =>
        services.PostConfigure<JsonConsoleFormatterOptions>(o =>
        {
            if (o.TimestampFormat is not null) return;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            o.UseUtcTimestamp = true;
        });

    /// <summary>Prometheus metrics at <c>/metrics</c>, on every node whatever its roles.</summary>
    public static WebApplication MapMetrics(this WebApplication app)
    {
        // Every node shows every capability's series from its start, at zero, whatever its roles:
        // the provider listens first, then the capabilities' constructors record their zeros.
        _ = app.Services.GetRequiredService<MeterProvider>();
        _ = app.Services.GetRequiredService<QueueMetrics>();
        _ = app.Services.GetRequiredService<DeliveryMetrics>();
        _ = app.Services.GetRequiredService<SendingMetrics>();
        _ = app.Services.GetRequiredService<SmtpBridge.SmtpMetrics>();
        // The queue gauges come from the database; an instrument's callback cannot wait for a query.
        app.UseWhen(c => c.Request.Path == "/metrics", branch => branch.Use(async (context, next) =>
        {
            await context.RequestServices.GetRequiredService<QueueMetrics>().RefreshAsync(context.RequestAborted);
            await next(context);
        }));
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}
