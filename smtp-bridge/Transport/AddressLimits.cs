using System.Net;
using EmailApi.SmtpBridge.Protocol;

namespace EmailApi.SmtpBridge.Transport;

/// <summary>
/// Per-client-address admission, as Postfix's anvil does it (smtpd_client_connection_count_limit
/// and smtpd_client_connection_rate_limit): one address may hold at most
/// <c>Smtp:MaxSessionsPerAddress</c> sessions at once and open at most
/// <c>Smtp:MaxConnectionsPerAddressPerMinute</c> connections per minute, so one client cannot take
/// every session slot. Addresses in <c>Smtp:ConnectionLimitExemptNetworks</c> (by default the
/// trusted networks, like Postfix's $mynetworks) are not counted.
/// </summary>
/// <remarks>
/// The rate is counted in fixed one-minute windows per address (anvil's time unit), refused
/// attempts included, so a client that keeps hammering stays out until its window ends. The
/// table forgets an address once it has no session and its window is over.
/// </remarks>
internal sealed class AddressLimits(BridgeSettings settings, TimeProvider clock)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private const int SweepAbove = 4096;

    private readonly Lock _lock = new();
    private readonly Dictionary<IPAddress, Entry> _entries = [];

    /// <summary>Null when the connection may go on (then <see cref="Release"/> is owed once it ends); otherwise the 421 to close it with.</summary>
    public SmtpReply? TryAdmit(IPAddress address, out bool counted)
    {
        counted = false;
        if (settings.LimitExemptNetworks.Contains(address)) return null;
        if (settings.MaxSessionsPerAddress == 0 && settings.MaxConnectionsPerAddressPerMinute == 0) return null;
        var now = clock.GetUtcNow();
        lock (_lock)
        {
            if (_entries.Count > SweepAbove) Sweep(now);
            if (!_entries.TryGetValue(address, out var entry)) _entries[address] = entry = new Entry { WindowStart = now };
            if (now - entry.WindowStart >= Window)
            {
                entry.WindowStart = now;
                entry.Connections = 0;
            }
            entry.Connections++;
            if (settings.MaxConnectionsPerAddressPerMinute > 0 && entry.Connections > settings.MaxConnectionsPerAddressPerMinute)
                return SmtpReply.TooManyConnectionsPerMinute;
            if (settings.MaxSessionsPerAddress > 0 && entry.Sessions >= settings.MaxSessionsPerAddress)
                return SmtpReply.TooManySessionsFromAddress;
            entry.Sessions++;
            counted = true;
            return null;
        }
    }

    public void Release(IPAddress address)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(address, out var entry) && entry.Sessions > 0) entry.Sessions--;
        }
    }

    private void Sweep(DateTimeOffset now)
    {
        foreach (var (address, entry) in _entries)
            if (entry.Sessions == 0 && now - entry.WindowStart >= Window) _entries.Remove(address);
    }

    private sealed class Entry
    {
        public int Sessions;
        public int Connections;
        public DateTimeOffset WindowStart;
    }
}
