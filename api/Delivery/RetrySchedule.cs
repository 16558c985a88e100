using Microsoft.Extensions.Options;

namespace EmailApi.Delivery;

/// <summary>
/// When to try a deferred recipient again: 1 minute, then 5m, 15m, 30m, 1h, 2h, 4h, then every
/// 4 hours, each with ±10% jitter so a destination that came back is not hit by the whole queue
/// at once. Past the queue lifetime there is no next attempt: the recipient bounces.
/// </summary>
public sealed class RetrySchedule(IOptions<DeliveryOptions> options)
{
    public static readonly IReadOnlyList<TimeSpan> DefaultDelays =
    [
        TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(30),
        TimeSpan.FromHours(1), TimeSpan.FromHours(2), TimeSpan.FromHours(4),
    ];

    /// <summary>The next attempt after <paramref name="attemptsMade"/> failed ones, or null when the lifetime is over.</summary>
    public DateTimeOffset? Next(int attemptsMade, DateTimeOffset queuedAt, DateTimeOffset now, double jitter)
    {
        var delays = options.Value.RetryDelays is { Count: > 0 } configured ? configured : DefaultDelays;
        var delay = delays[Math.Clamp(attemptsMade - 1, 0, delays.Count - 1)];
        var expiry = queuedAt + options.Value.MaxQueueLifetime;
        if (now >= expiry) return null;
        // The last try falls on the expiry itself; if it fails too, the recipient bounces.
        var next = now + delay * (1 + Math.Clamp(jitter, -0.1, 0.1));
        return next < expiry ? next : expiry;
    }

    /// <summary>The delay before the first retry (without jitter).</summary>
    public TimeSpan FirstDelay => options.Value.RetryDelays is { Count: > 0 } configured ? configured[0] : DefaultDelays[0];

    public static double RandomJitter() => (Random.Shared.NextDouble() * 2 - 1) * 0.1;
}
