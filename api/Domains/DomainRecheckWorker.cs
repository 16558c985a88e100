using Microsoft.Extensions.Options;

namespace EmailApi.Domains;

/// <summary>
/// Checks domains again in the background (on sender nodes): verified ones every
/// <c>Domains:RecheckInterval</c> (a day), so a deleted DKIM record turns the domain <c>failed</c>;
/// unverified ones with back-off from <c>PendingRecheckMin</c> to <c>PendingRecheckMax</c>, so a
/// record published without calling verify is still found. Each check claims its domain first,
/// so several nodes never check one domain at once.
/// </summary>
public sealed class DomainRecheckWorker(IDomainStore store, DomainVerifier verifier, IOptions<DomainsOptions> options, TimeProvider clock,
    ILogger<DomainRecheckWorker> log) : BackgroundService
{
    private const int Batch = 50;

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
                log.LogError(ex, "Domain re-check failed; trying again next interval");
            }
            try { await Task.Delay(options.Value.WorkerPollInterval, clock, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }

    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var checkedCount = 0;
        foreach (var domain in await store.DueAsync(now, Batch, ct))
        {
            // The claim also keeps a user's verify and this job from checking the same domain twice in a row.
            if (!await store.TryClaimCheckAsync(domain.Id, now, now - options.Value.MinVerifyInterval, ct)) continue;
            await verifier.VerifyAsync(domain, ct);
            checkedCount++;
        }
        return checkedCount;
    }
}
