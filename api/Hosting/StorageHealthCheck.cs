using EmailApi.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EmailApi.Hosting;

/// <summary>Ready for mail only while the database is there, is the one this process opened, and takes a write.</summary>
public sealed class StorageHealthCheck(StorageMonitor monitor) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            return await monitor.CheckAsync(cancellationToken).WaitAsync(Timeout, cancellationToken) switch
            {
                StorageState.Writable => HealthCheckResult.Healthy("The database is writable."),
                StorageState.Unavailable u => HealthCheckResult.Unhealthy(u.Reason),
                var other => throw new System.Diagnostics.UnreachableException(other.ToString()),
            };
        }
        catch (TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"The database did not answer within {Timeout.TotalSeconds:0} seconds.");
        }
    }
}
