using EmailApi.Queue;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace EmailApi.Delivery;

/// <summary>
/// Postfix's "mail for X loops back to myself", checked before dialling (maddy's CheckMX step):
/// an MX address that is this very process, i.e. an address and the delivery port this process
/// listens on (a wildcard bind counts for every local interface address and all of loopback), or
/// the unspecified address (which the kernel connects to this host), makes that MX and every
/// less preferred one unusable, as Postfix truncates the MX list at itself. Broadcast and multicast
/// addresses are never dialled either. When nothing is left, the destination is refused for good:
/// 5.4.6 for a loop (RFC 3463: routing loop detected), 5.4.4 for addresses that cannot be routed.
/// Plain loopback stays allowed: only the (address, port) pairs of our own listeners are refused.
/// </summary>
public sealed class LoopGuard(IEnumerable<OwnListener> listeners, TimeProvider clock)
{
    private static readonly TimeSpan InterfaceRefresh = TimeSpan.FromMinutes(1);
    private readonly Lock _gate = new();
    private (HashSet<IPAddress> Addresses, DateTimeOffset ReadAt)? _interfaces;

    public LoopCheck Check(string domain, IReadOnlyList<MxHost> hosts, int port)
    {
        var listening = listeners.SelectMany(l => l.EndPoints()).Where(e => e.Port == port).ToArray();
        MxHost? self = null;
        IPAddress? selfAddress = null;
        foreach (var host in hosts)
        {
            selfAddress = host.Addresses.Select(Normalize).FirstOrDefault(a => IsSelf(a, listening));
            if (selfAddress is null) continue;
            self = host;
            break;
        }
        // Like Postfix's smtp_truncate_self: MX hosts as preferred as ourselves or less are left out.
        var kept = hosts
            .Where(h => self is null || h.Preference < self.Preference)
            .Select(h => h with { Addresses = h.Addresses.Select(Normalize).Where(a => !IsUnroutable(a)).ToArray() })
            .Where(h => h.Addresses.Count > 0)
            .ToArray();
        if (kept.Length > 0) return new LoopCheck.Dial(kept);
        if (self is not null)
            return new LoopCheck.Refuse(SmtpReply.Of(554, "5.4.6", $"Mail for {domain} loops back to myself: MX {self.Name} [{selfAddress}]:{port} is this relay"));
        return new LoopCheck.Refuse(SmtpReply.Of(554, "5.4.4", $"Mail for {domain} cannot be routed: its MX hosts have no address that can be dialled ({string.Join(", ", hosts.SelectMany(h => h.Addresses))})"));
    }

    private bool IsSelf(IPAddress address, IReadOnlyList<IPEndPoint> listening)
    {
        // Connecting to 0.0.0.0 or :: reaches this host: never a remote MX.
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)) return true;
        foreach (var endpoint in listening)
        {
            var bound = Normalize(endpoint.Address);
            if (bound.Equals(address)) return true;
            if ((bound.Equals(IPAddress.Any) || bound.Equals(IPAddress.IPv6Any)) && (IPAddress.IsLoopback(address) || LocalAddresses().Contains(address)))
                return true;
        }
        return false;
    }

    private static bool IsUnroutable(IPAddress address) => address.AddressFamily switch
    {
        AddressFamily.InterNetwork => address.Equals(IPAddress.Broadcast) || (address.GetAddressBytes()[0] & 0xF0) == 0xE0,   // 224.0.0.0/4
        AddressFamily.InterNetworkV6 => address.IsIPv6Multicast,
        _ => true,
    };

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private HashSet<IPAddress> LocalAddresses()
    {
        lock (_gate)
        {
            var now = clock.GetUtcNow();
            if (_interfaces is { } cached && now - cached.ReadAt < InterfaceRefresh) return cached.Addresses;
            var addresses = NetworkInterface.GetAllNetworkInterfaces()
                .SelectMany(i => i.GetIPProperties().UnicastAddresses)
                .Select(u => Normalize(u.Address))
                .ToHashSet();
            _interfaces = (addresses, now);
            return addresses;
        }
    }
}
