using Microsoft.Extensions.Options;

namespace EmailApi.Retention;

/// <summary>
/// Prunes on a timer (<c>Retention:Interval</c>): bodies after <c>Retention:Days</c>, status rows after
/// <c>Retention:StatusDays</c>, and expired idempotency keys, rate windows and old webhook deliveries.
/// Every step is a set-based statement in chunks (see <see cref="IRetentionStore"/>).
/// </summary>
public sealed class RetentionWorker(IRetentionStore store, IOptions<RetentionOptions> options, TimeProvider clock, ILogger<RetentionWorker> log)
    : BackgroundService
{
    private const int Chunk = 5_000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                log.LogError(ex, "Retention pruning failed; trying again next interval");
            }
            try { await Task.Delay(options.Value.Interval, clock, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }

    public async Task RunOnceAsync(CancellationToken ct)
    {
        var settings = options.Value;
        var now = clock.GetUtcNow();
        long bodies = 0, status = 0;
        int changed;
        while ((changed = await store.PruneBodiesAsync(now.AddDays(-settings.Days), Chunk, ct)) > 0) bodies += changed;
        if (settings.StatusDays > 0)
            while ((changed = await store.PruneStatusAsync(now.AddDays(-settings.StatusDays), Chunk, ct)) > 0) status += changed;
        await store.PruneHousekeepingAsync(now.AddDays(-settings.Days), ct);
        if (bodies + status > 0) log.LogInformation("Retention: dropped {Bodies} message bodies and {Status} finished messages", bodies, status);
    }
}
