using EmailApi.Delivery;
using EmailApi.Queue;
using Microsoft.Extensions.DependencyInjection;

namespace EmailApi.Tests.Delivery;

/// <summary>
/// Conditions to wait for instead of sleeping when a test must show that something does NOT
/// happen: the sender went round the queue again (so anything due was seen), or the queue has
/// nothing live left (so every job has recorded its results and nothing more will be sent).
/// </summary>
public static class SenderRounds
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(20);

    public static async Task WaitAsync(IServiceProvider services, int rounds)
    {
        var heartbeat = services.GetRequiredService<SenderHeartbeat>();
        var target = heartbeat.Leases + rounds;
        using var timeout = new CancellationTokenSource(Timeout);
        while (heartbeat.Leases < target) await Task.Delay(Poll, timeout.Token);
    }

    public static async Task WaitForDrainAsync(IServiceProvider services)
    {
        var store = services.GetRequiredService<IQueueStore>();
        using var timeout = new CancellationTokenSource(Timeout);
        while ((await store.CountLiveAsync(timeout.Token)).Values.Sum() > 0) await Task.Delay(Poll, timeout.Token);
    }
}
