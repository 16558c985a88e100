using EmailApi.Delivery;
using EmailApi.Queue;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace EmailApi.Hosting;

/// <summary>
/// On a sender node, ready means mail that is due gets picked up: the delivery loop goes round
/// (its heartbeat is recent) and, when something has been due for longer than
/// <c>Health:SenderStallAfter</c>, the loop has leased within that time too.
/// </summary>
public sealed class SenderHealthCheck(SenderHeartbeat heartbeat, QueueCounts counts, IOptions<HealthOptions> options, TimeProvider clock) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var stallAfter = options.Value.SenderStallAfter;
        var now = clock.GetUtcNow();
        var quiet = now - heartbeat.LastLoop;
        if (quiet > stallAfter)
            return HealthCheckResult.Unhealthy($"The delivery loop has not run for {quiet.TotalSeconds:0} seconds.");

        var sinceLease = now - heartbeat.LastLease;
        if (sinceLease <= stallAfter) return HealthCheckResult.Healthy("The delivery loop is running.");
        DateTimeOffset? due;
        try
        {
            due = await counts.EarliestDueAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("The queue cannot be read.");
        }
        return due is { } since && now - since > stallAfter
            ? HealthCheckResult.Unhealthy($"Mail has been due for {(now - since).TotalSeconds:0} seconds and the sender has not leased for {sinceLease.TotalSeconds:0} seconds.")
            : HealthCheckResult.Healthy("The delivery loop is running; nothing is overdue.");
    }
}
