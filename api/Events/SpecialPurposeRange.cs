using System.Net;

namespace EmailApi.Events;

/// <summary>
/// One block of the IANA special-purpose address registries (RFC 6890) or of the multicast and
/// reserved space around them. <see cref="Embedded"/> is set for the IPv6 forms that carry an IPv4
/// address inside them; such an address is judged by the IPv4 address it leads to, not by the block.
/// </summary>
public sealed record SpecialPurposeRange(IPNetwork Network, string Name, string Rfc, Func<IPAddress, IPAddress>? Embedded = null)
{
    /// <summary>
    /// Every special-purpose block, most specific first so the first match names the reason best.
    /// Written out from the IANA IPv4 and IPv6 Special-Purpose Address Registries (as of 2025),
    /// plus multicast (RFC 5771, RFC 4291 §2.7), the deprecated IPv4-compatible and site-local
    /// IPv6 forms, which no registry lists any more but a resolver can still return.
    /// A webhook is refused for any address here, whether or not the registry marks the block
    /// "globally reachable": none of them is where a customer's HTTP endpoint lives, and several
    /// (anycast relays, AS112, AMT) are shared infrastructure nobody should be made to POST to.
    /// </summary>
    public static readonly IReadOnlyList<SpecialPurposeRange> All =
    [
        // IPv4 Special-Purpose Address Registry
        V("0.0.0.0/32", "this host on this network", "RFC 1122 §3.2.1.3"),
        V("0.0.0.0/8", "this network", "RFC 791 §3.2"),
        V("10.0.0.0/8", "private use", "RFC 1918"),
        V("100.64.0.0/10", "shared address space (carrier-grade NAT)", "RFC 6598"),
        V("127.0.0.0/8", "loopback", "RFC 1122 §3.2.1.3"),
        V("169.254.0.0/16", "link local (cloud metadata services live here)", "RFC 3927"),
        V("172.16.0.0/12", "private use", "RFC 1918"),
        V("192.0.0.0/29", "IPv4 service continuity prefix", "RFC 7335"),
        V("192.0.0.8/32", "IPv4 dummy address", "RFC 7600"),
        V("192.0.0.9/32", "Port Control Protocol anycast", "RFC 7723"),
        V("192.0.0.10/32", "Traversal Using Relays around NAT anycast", "RFC 8155"),
        V("192.0.0.170/32", "NAT64/DNS64 discovery", "RFC 8880, RFC 7050 §2.2"),
        V("192.0.0.171/32", "NAT64/DNS64 discovery", "RFC 8880, RFC 7050 §2.2"),
        V("192.0.0.0/24", "IETF protocol assignments", "RFC 6890 §2.1"),
        V("192.0.2.0/24", "documentation (TEST-NET-1)", "RFC 5737"),
        V("192.31.196.0/24", "AS112-v4", "RFC 7535"),
        V("192.52.193.0/24", "Automatic Multicast Tunneling", "RFC 7450"),
        V("192.88.99.0/24", "deprecated 6to4 relay anycast", "RFC 7526"),
        V("192.168.0.0/16", "private use", "RFC 1918"),
        V("192.175.48.0/24", "direct delegation AS112 service", "RFC 7534"),
        V("198.18.0.0/15", "benchmarking", "RFC 2544"),
        V("198.51.100.0/24", "documentation (TEST-NET-2)", "RFC 5737"),
        V("203.0.113.0/24", "documentation (TEST-NET-3)", "RFC 5737"),
        V("224.0.0.0/4", "multicast", "RFC 5771"),
        V("255.255.255.255/32", "limited broadcast", "RFC 8190, RFC 919 §7"),
        V("240.0.0.0/4", "reserved", "RFC 1112 §4"),

        // IPv6 Special-Purpose Address Registry
        V("::/128", "unspecified address", "RFC 4291 §2.5.2"),
        V("::1/128", "loopback", "RFC 4291 §2.5.3"),
        V("::ffff:0:0/96", "IPv4-mapped address", "RFC 4291 §2.5.5.2", Last32),
        // Deprecated by RFC 4291 §2.5.5.1 and no longer in the registry; refused outright, whatever it embeds.
        V("::/96", "IPv4-compatible address (deprecated)", "RFC 4291 §2.5.5.1"),
        V("64:ff9b::/96", "IPv4/IPv6 translation (NAT64 well-known prefix)", "RFC 6052 §2.1", Last32),
        V("64:ff9b:1::/48", "local-use IPv4/IPv6 translation", "RFC 8215"),
        V("100::/64", "discard-only", "RFC 6666"),
        V("100:0:0:1::/64", "dummy IPv6 prefix", "RFC 9780"),
        V("2001::/32", "Teredo", "RFC 4380, RFC 8190"),
        V("2001:1::1/128", "Port Control Protocol anycast", "RFC 7723"),
        V("2001:1::2/128", "Traversal Using Relays around NAT anycast", "RFC 8155"),
        V("2001:1::3/128", "DNS-SD service registration protocol anycast", "RFC 9665"),
        V("2001:2::/48", "benchmarking", "RFC 5180"),
        V("2001:3::/32", "Automatic Multicast Tunneling", "RFC 7450"),
        V("2001:4:112::/48", "AS112-v6", "RFC 7535"),
        V("2001:10::/28", "deprecated ORCHID", "RFC 4843"),
        V("2001:20::/28", "ORCHIDv2", "RFC 7343"),
        V("2001:30::/28", "drone remote ID entity tags", "RFC 9374"),
        V("2001::/23", "IETF protocol assignments", "RFC 2928"),
        V("2001:db8::/32", "documentation", "RFC 3849"),
        V("2002::/16", "6to4", "RFC 3056 §2", SixToFour),
        V("2620:4f:8000::/48", "direct delegation AS112 service", "RFC 7534"),
        V("3fff::/20", "documentation", "RFC 9637"),
        V("5f00::/16", "segment routing (SRv6) SIDs", "RFC 9602"),
        V("fc00::/7", "unique local", "RFC 4193"),
        V("fe80::/10", "link-local unicast", "RFC 4291 §2.5.6"),
        // Deprecated by RFC 3879 but still routed inside some networks.
        V("fec0::/10", "site-local (deprecated)", "RFC 3879"),
        V("ff00::/8", "multicast", "RFC 4291 §2.7"),
    ];

    /// <summary>The most specific block holding <paramref name="address"/>, or null for an ordinary global address.</summary>
    public static SpecialPurposeRange? Find(IPAddress address)
    {
        // IPNetwork.Contains ignores an IPv6 zone (fe80::1%2), so the address can be looked up as it is.
        foreach (var range in All)
            if (range.Network.BaseAddress.AddressFamily == address.AddressFamily && range.Network.Contains(address))
                return range;
        return null;
    }

    public override string ToString() => $"{Network} ({Name}, {Rfc})";

    private static SpecialPurposeRange V(string cidr, string name, string rfc, Func<IPAddress, IPAddress>? embedded = null) =>
        new(IPNetwork.Parse(cidr), name, rfc, embedded);

    // RFC 4291 §2.5.5.2 and RFC 6052 §2.2 (with a /96 prefix): the IPv4 address is the last 32 bits.
    private static IPAddress Last32(IPAddress v6) => new(v6.GetAddressBytes()[12..16]);

    // RFC 3056 §2: 2002:V4ADDR::/48, the IPv4 address in bits 16 to 47.
    private static IPAddress SixToFour(IPAddress v6) => new(v6.GetAddressBytes()[2..6]);
}
