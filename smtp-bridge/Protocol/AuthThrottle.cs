using System.Collections.Concurrent;
using System.Net;

namespace EmailApi.SmtpBridge.Protocol;

/// <summary>
/// Slows down and then locks out addresses that keep failing AUTH, across sessions: each failure
/// waits longer before its 535 (up to five steps), and the address that reaches the limit within
/// the window gets 421 4.7.0 to AUTH until the lockout ends. A success clears the address.
/// The web console's sign-in uses the same class with the same <c>Smtp:</c> settings, so a wrong key
/// costs the same there as over SMTP.
/// </summary>
public sealed class AuthThrottle(int maxFailures, TimeSpan failureWindow, TimeSpan lockout, TimeSpan failureDelay, TimeProvider clock)
{
    internal AuthThrottle(BridgeSettings settings, TimeProvider clock)
        : this(settings.MaxAuthFailures, settings.AuthFailureWindow, settings.AuthLockout, settings.AuthFailureDelay, clock)
    {
    }

    public static AuthThrottle From(SmtpOptions options, TimeProvider clock) =>
        new(options.MaxAuthFailures, options.AuthFailureWindow, options.AuthLockout, options.AuthFailureDelay, clock);

    private const int MaxTracked = 50_000;

    private readonly ConcurrentDictionary<IPAddress, Entry> _entries = new();

    public bool IsLockedOut(IPAddress address) => _entries.TryGetValue(address, out var entry) && entry.LockedUntil > clock.GetUtcNow();

    /// <summary>How long to wait before answering the failure, or null when the address is now locked out.</summary>
    public TimeSpan? RecordFailure(IPAddress address)
    {
        var now = clock.GetUtcNow();
        if (_entries.Count > MaxTracked) Prune(now);
        var entry = _entries.AddOrUpdate(address,
            _ => new Entry(1, now, DateTimeOffset.MinValue),
            (_, old) => old.WindowStart + failureWindow <= now ? new Entry(1, now, DateTimeOffset.MinValue) : old with { Failures = old.Failures + 1 });
        if (entry.Failures >= maxFailures)
        {
            _entries[address] = new Entry(0, now, now + lockout);
            return null;
        }
        return failureDelay * Math.Min(entry.Failures, 5);
    }

    public void RecordSuccess(IPAddress address) => _entries.TryRemove(address, out _);

    private void Prune(DateTimeOffset now)
    {
        foreach (var (address, entry) in _entries)
            if (entry.LockedUntil <= now && entry.WindowStart + failureWindow <= now)
                _entries.TryRemove(address, out _);
    }

    private sealed record Entry(int Failures, DateTimeOffset WindowStart, DateTimeOffset LockedUntil);
}
