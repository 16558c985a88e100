using System.Collections.Concurrent;

namespace EmailApi.Delivery;

/// <summary>
/// Per-destination message rates over a sliding minute (<c>MessagesPerMinute</c>): how many messages
/// may go now, and when the next one may. Domains without a rate are never throttled.
/// </summary>
public sealed class DestinationThrottle(TimeProvider clock)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _sent = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Reserves up to <paramref name="wanted"/> sends; returns how many were granted and when room frees up next.</summary>
    public (int Granted, DateTimeOffset NextSlot) Take(string domain, int? perMinute, int wanted)
    {
        var now = clock.GetUtcNow();
        if (perMinute is not { } limit) return (wanted, now);
        var window = _sent.GetOrAdd(domain, _ => new Queue<DateTimeOffset>());
        lock (window)
        {
            while (window.Count > 0 && window.Peek() <= now - Window) window.Dequeue();
            var granted = Math.Clamp(limit - window.Count, 0, wanted);
            for (var i = 0; i < granted; i++) window.Enqueue(now);
            var next = window.Count < limit ? now : window.Peek() + Window;
            return (granted, next);
        }
    }
}
