using System.Net;

namespace EmailApi.SmtpBridge;

/// <summary>A set of CIDR ranges (<c>10.0.0.0/8</c>, <c>::1/128</c>; a bare address is one host).</summary>
internal sealed class NetworkList(IReadOnlyList<IPNetwork> networks)
{
    public static readonly NetworkList Loopback = new([IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("::1/128")]);

    public bool IsEmpty => networks.Count == 0;

    public static NetworkList Parse(IEnumerable<string> entries, string setting)
    {
        var parsed = new List<IPNetwork>();
        foreach (var raw in entries)
        {
            var entry = raw.Trim();
            if (entry.Length == 0) continue;
            if (IPNetwork.TryParse(entry, out var network)) parsed.Add(network);
            else if (IPAddress.TryParse(entry, out var address)) parsed.Add(new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
            else throw new InvalidOperationException($"{setting}: '{entry}' is not a CIDR range such as 192.168.0.0/16.");
        }
        return new NetworkList(parsed);
    }

    public bool Contains(IPAddress address)
    {
        // A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d; the ranges are written in IPv4.
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        foreach (var network in networks)
            if (network.Contains(address)) return true;
        return false;
    }
}
