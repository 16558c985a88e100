using System.Net;
using System.Net.Sockets;
using System.Text;
using DnsClient;

namespace EmailApi.Domains;

/// <summary>
/// SPF's check_host() (RFC 7208 §4): the mechanisms ip4, ip6, a, mx, include, exists, ptr and all
/// with their qualifiers, the redirect modifier, the limit of 10 DNS-querying terms per evaluation
/// (§4.6.4, include and redirect chains counted together), at most 10 MX names per mx, and 2 void
/// lookups. Macros (§7) are expanded for the letters s, l, o, d, i, v and h without transformers;
/// a transformer or an unknown letter is a permerror. <c>ptr</c> is counted but never matches
/// (§5.5: "SHOULD NOT be used"). A DNS timeout or SERVFAIL is a temperror.
/// </summary>
public sealed class SpfEvaluator(DnsLookup dns)
{
    private const int MaxDnsTerms = 10;
    private const int MaxVoidLookups = 2;

    public async Task<SpfResult> CheckAsync(IPAddress ip, string domain, string sender, string helo, CancellationToken ct)
    {
        var state = new State(ip, sender, helo);
        try
        {
            return await CheckHostAsync(state, domain, ct);
        }
        catch (DnsUnavailableException ex)
        {
            return new SpfResult(SpfVerdict.TempError, ex.Message);
        }
        catch (PermErrorException ex)
        {
            return new SpfResult(SpfVerdict.PermError, ex.Message);
        }
    }

    private async Task<SpfResult> CheckHostAsync(State state, string domain, CancellationToken ct)
    {
        var records = (await dns.TxtAsync(domain, ct))
            .Where(t => t.Equals("v=spf1", StringComparison.OrdinalIgnoreCase) || t.StartsWith("v=spf1 ", StringComparison.OrdinalIgnoreCase))
            .ToArray();
        if (records.Length == 0) return new SpfResult(SpfVerdict.None, $"{domain} publishes no SPF record.");
        if (records.Length > 1) return new SpfResult(SpfVerdict.PermError, $"{domain} publishes {records.Length} SPF records (RFC 7208 §4.5: exactly one).");

        string? redirect = null;
        foreach (var term in records[0].Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1))
        {
            var eq = term.IndexOf('=');
            var colon = term.IndexOf(':');
            if (eq > 0 && (colon < 0 || eq < colon) && term[..eq].All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                if (term[..eq].Equals("redirect", StringComparison.OrdinalIgnoreCase))
                    redirect = term[(eq + 1)..];
                continue;   // exp= and unknown modifiers are ignored (§6)
            }
            var qualifier = term[0] is '+' or '-' or '~' or '?' ? term[0] : '+';
            var mechanism = qualifier == term[0] ? term[1..] : term;
            if (await MatchesAsync(state, domain, mechanism, ct) is { } matched)
            {
                if (matched.Verdict is SpfVerdict.TempError or SpfVerdict.PermError) return matched;
                return new SpfResult(qualifier switch
                {
                    '-' => SpfVerdict.Fail,
                    '~' => SpfVerdict.SoftFail,
                    '?' => SpfVerdict.Neutral,
                    _ => SpfVerdict.Pass,
                }, $"{state.Ip} matched '{term}' in the SPF record of {domain}.");
            }
        }
        if (redirect is not null)
        {
            Count(state);
            var target = Expand(redirect, state, domain);
            var result = await CheckHostAsync(state, target, ct);
            return result.Verdict == SpfVerdict.None ? new SpfResult(SpfVerdict.PermError, $"redirect={target} has no SPF record.") : result;
        }
        return new SpfResult(SpfVerdict.Neutral, $"{state.Ip} matched nothing in the SPF record of {domain}.");
    }

    /// <summary>A result when the mechanism matched (or an error ended the evaluation); null when it did not match.</summary>
    private async Task<SpfResult?> MatchesAsync(State state, string domain, string mechanism, CancellationToken ct)
    {
        var nameEnd = mechanism.IndexOfAny([':', '/']);
        var name = nameEnd < 0 ? mechanism : mechanism[..nameEnd];
        var rest = nameEnd < 0 ? "" : mechanism[nameEnd..];
        var argument = rest.StartsWith(':') ? rest[1..] : null;
        var (bare, cidr4, cidr6) = SplitCidr(argument ?? rest);
        switch (name.ToLowerInvariant())
        {
            case "all":
                return Matched();
            case "ip4":
            case "ip6":
                if (argument is null) throw new PermErrorException($"'{mechanism}' has no address.");
                var slash = argument.IndexOf('/');
                if (!IPAddress.TryParse(slash < 0 ? argument : argument[..slash], out var network))
                    throw new PermErrorException($"'{mechanism}' is not an address.");
                var bits = network.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
                if (slash >= 0 && !int.TryParse(argument[(slash + 1)..], System.Globalization.CultureInfo.InvariantCulture, out bits))
                    throw new PermErrorException($"'{mechanism}' has a bad prefix length.");
                return InNetwork(state.Ip, network, bits) ? Matched() : null;
            case "a":
            {
                Count(state);
                var target = bare.Length > 0 ? Expand(bare, state, domain) : domain;
                var addresses = await dns.AddressesAsync(target, state.Ip.AddressFamily == AddressFamily.InterNetworkV6 ? QueryType.AAAA : QueryType.A, ct);
                Void(state, addresses.Count);
                return addresses.Any(a => InNetwork(state.Ip, a, Prefix(state.Ip, cidr4, cidr6))) ? Matched() : null;
            }
            case "mx":
            {
                Count(state);
                var target = bare.Length > 0 ? Expand(bare, state, domain) : domain;
                var hosts = await dns.MxAsync(target, ct);
                Void(state, hosts.Count);
                if (hosts.Count > 10) throw new PermErrorException($"{target} has more than 10 MX records (RFC 7208 §4.6.4).");
                foreach (var (_, host) in hosts)
                {
                    var addresses = await dns.AddressesAsync(host, state.Ip.AddressFamily == AddressFamily.InterNetworkV6 ? QueryType.AAAA : QueryType.A, ct);
                    if (addresses.Any(a => InNetwork(state.Ip, a, Prefix(state.Ip, cidr4, cidr6)))) return Matched();
                }
                return null;
            }
            case "include":
            {
                if (argument is null) throw new PermErrorException("'include' has no domain.");
                Count(state);
                var target = Expand(argument, state, domain);
                var result = await CheckHostAsync(state, target, ct);
                return result.Verdict switch
                {
                    SpfVerdict.Pass => Matched(),
                    SpfVerdict.TempError => result,
                    SpfVerdict.PermError => result,
                    SpfVerdict.None => new SpfResult(SpfVerdict.PermError, $"include:{target} has no SPF record."),
                    _ => null,
                };
            }
            case "exists":
            {
                if (argument is null) throw new PermErrorException("'exists' has no domain.");
                Count(state);
                var addresses = await dns.AddressesAsync(Expand(argument, state, domain), QueryType.A, ct);
                Void(state, addresses.Count);
                return addresses.Count > 0 ? Matched() : null;
            }
            case "ptr":
                Count(state);
                return null;
            default:
                throw new PermErrorException($"Unknown mechanism '{mechanism}'.");
        }

        static SpfResult Matched() => new(SpfVerdict.Pass, "");
    }

    /// <summary>a and mx: <c>[domain-spec][/cidr4][//cidr6]</c> (RFC 7208 §5.3, §5.4).</summary>
    private static (string Bare, int? Cidr4, int? Cidr6) SplitCidr(string source)
    {
        int? cidr4 = null, cidr6 = null;
        try
        {
            var dual = source.IndexOf("//", StringComparison.Ordinal);
            if (dual >= 0)
            {
                cidr6 = int.Parse(source[(dual + 2)..], System.Globalization.CultureInfo.InvariantCulture);
                source = source[..dual];
            }
            var single = source.IndexOf('/');
            if (single >= 0)
            {
                cidr4 = int.Parse(source[(single + 1)..], System.Globalization.CultureInfo.InvariantCulture);
                source = source[..single];
            }
        }
        catch (FormatException)
        {
            throw new PermErrorException($"Bad prefix length in '{source}'.");
        }
        return (source, cidr4, cidr6);
    }

    private static int Prefix(IPAddress ip, int? cidr4, int? cidr6) =>
        ip.AddressFamily == AddressFamily.InterNetworkV6 ? cidr6 ?? 128 : cidr4 ?? 32;

    private static bool InNetwork(IPAddress ip, IPAddress network, int bits)
    {
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        if (ip.AddressFamily != network.AddressFamily) return false;
        var a = ip.GetAddressBytes();
        var b = network.GetAddressBytes();
        if (bits < 0 || bits > a.Length * 8) throw new PermErrorException($"Invalid prefix length /{bits}.");
        for (var i = 0; i < bits; i++)
        {
            var mask = 0x80 >> (i % 8);
            if ((a[i / 8] & mask) != (b[i / 8] & mask)) return false;
        }
        return true;
    }

    private static void Count(State state)
    {
        if (++state.DnsTerms > MaxDnsTerms)
            throw new PermErrorException($"More than {MaxDnsTerms} DNS-querying terms (RFC 7208 §4.6.4).");
    }

    private static void Void(State state, int answers)
    {
        if (answers == 0 && ++state.VoidLookups > MaxVoidLookups)
            throw new PermErrorException($"More than {MaxVoidLookups} lookups returned nothing (RFC 7208 §4.6.4).");
    }

    /// <summary>RFC 7208 §7 macros without transformers or delimiters.</summary>
    private static string Expand(string spec, State state, string domain)
    {
        if (!spec.Contains('%')) return spec;
        var result = new StringBuilder();
        for (var i = 0; i < spec.Length; i++)
        {
            if (spec[i] != '%') { result.Append(spec[i]); continue; }
            if (i + 1 >= spec.Length) throw new PermErrorException($"Bad macro in '{spec}'.");
            var next = spec[++i];
            if (next == '%') { result.Append('%'); continue; }
            if (next == '_') { result.Append(' '); continue; }
            if (next == '-') { result.Append("%20"); continue; }
            var close = spec.IndexOf('}', i);
            if (next != '{' || close < 0 || close != i + 2)
                throw new PermErrorException($"Unsupported macro in '{spec}' (transformers are not evaluated here).");
            var at = state.Sender.LastIndexOf('@');
            result.Append(char.ToLowerInvariant(spec[i + 1]) switch
            {
                's' => state.Sender,
                'l' => at > 0 ? state.Sender[..at] : "postmaster",
                'o' => at >= 0 ? state.Sender[(at + 1)..] : state.Sender,
                'd' => domain,
                'i' => state.Ip.AddressFamily == AddressFamily.InterNetwork
                    ? state.Ip.ToString()
                    : string.Join('.', Convert.ToHexStringLower(state.Ip.GetAddressBytes()).ToCharArray()),
                'v' => state.Ip.AddressFamily == AddressFamily.InterNetwork ? "in-addr" : "ip6",
                'h' => state.Helo,
                var other => throw new PermErrorException($"Unsupported macro letter '{other}' in '{spec}'."),
            });
            i = close;
        }
        return result.ToString();
    }

    private sealed class State(IPAddress ip, string sender, string helo)
    {
        public IPAddress Ip { get; } = ip;
        public string Sender { get; } = sender;
        public string Helo { get; } = helo;
        public int DnsTerms { get; set; }
        public int VoidLookups { get; set; }
    }

    private sealed class PermErrorException(string message) : Exception(message);
}

public enum SpfVerdict { None, Neutral, Pass, Fail, SoftFail, TempError, PermError }

/// <summary>An SPF result (RFC 7208 §2.6) with why, for people.</summary>
public sealed record SpfResult(SpfVerdict Verdict, string Explanation);
