using EmailApi.Queue;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EmailApi.Hosting;

/// <summary>Ready means the queue's database answers.</summary>
public sealed class QueueHealthCheck(IQueueStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            return await store.PingAsync(cancellationToken) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("The schema is missing.");
        }
        catch (Exception ex)
        {
            return HealthCheckResult.Unhealthy("The database does not answer.", ex);
        }
    }
}
