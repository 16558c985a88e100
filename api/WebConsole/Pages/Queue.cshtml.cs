using EmailApi.Queue;
using Microsoft.AspNetCore.Authorization;

namespace EmailApi.WebConsole.Pages;

/// <summary>The operator's view of the whole queue (admin scope).</summary>
[Authorize(Policy = ConsoleRegistration.AdminPolicy)]
public sealed class QueueModel(IQueueInsights insights, TimeProvider clock) : ConsolePage
{
    private const int MaxDomains = 50;

    public QueueOverview Overview { get; private set; } = null!;
    public DateTimeOffset Now { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        Now = clock.GetUtcNow();
        Overview = await insights.OverviewAsync(MaxDomains, ct);
    }
}
