using EmailApi.Queue;

namespace EmailApi.Hosting;

public static class MetricsEndpoint
{
    /// <summary>Prometheus metrics at <c>/metrics</c>, on every node whatever its roles.</summary>
    public static WebApplication MapMetrics(this WebApplication app)
    {
        app.MapGet("/metrics", async (RelayMetrics metrics, Delivery.MtaSts.TlsResults tls, QueueCounts counts, CancellationToken ct) =>
                TypedResults.Text(metrics.Render(await counts.CountLiveAsync(ct)) + tls.Render(), "text/plain; version=0.0.4; charset=utf-8"))
            .ExcludeFromDescription();
        return app;
    }
}
