using System.Net;
using DnsClient;
using EmailApi.Delivery;
using EmailApi.Mail;
using Microsoft.Extensions.Options;

namespace EmailApi.Domains;

/// <summary>
/// Whether receivers will like the name the relay says EHLO with: a fully qualified domain name
/// (RFC 5321 §4.1.1.1), resolving to the relay's public addresses, each of which has a PTR record
/// naming a host that resolves back to it (forward-confirmed reverse DNS, as Gmail and Microsoft
/// require). It reports the answers it saw, so an operator can tell a wrong record from a slow one.
/// </summary>
public sealed class HeloCheck(DnsLookup dns, IOptions<DeliveryOptions> delivery, IOptions<RelayHostOptions> relayHost)
{
    public static bool IsFullyQualified(string name)
    {
        var trimmed = name.TrimEnd('.');
        return !IPAddress.TryParse(trimmed, out _) && trimmed.Contains('.') && AddressRules.IsValidDomain(trimmed)
            && !trimmed.EndsWith(".localdomain", StringComparison.OrdinalIgnoreCase) && !trimmed.EndsWith(".local", StringComparison.OrdinalIgnoreCase);
    }

    public async Task<DeliverabilityReport> RunAsync(CancellationToken ct)
    {
        var settings = delivery.Value;
        var helo = relayHost.Value.HostName.TrimEnd('.').ToLowerInvariant();
        var problems = new List<string>();
        var fqdn = IsFullyQualified(helo);
        if (!fqdn) problems.Add($"Relay:HostName '{helo}' is not a fully qualified domain name; receivers may refuse or score down the EHLO.");
        var publicAddresses = settings.PublicAddresses.Select(IPAddress.Parse).ToArray();
        if (publicAddresses.Length == 0) problems.Add("Delivery:PublicAddresses is empty: the relay cannot tell which addresses receivers see.");

        var forward = await ForwardAsync(helo, ct);
        if (forward.Error is not null) problems.Add(forward.Error);
        foreach (var missing in publicAddresses.Where(a => !forward.Addresses.Contains(a.ToString())))
            problems.Add($"{helo} does not resolve to the public address {missing}.");

        var reverse = new List<ReverseCheck>();
        foreach (var address in publicAddresses)
        {
            string[] names;
            try
            {
                names = (await dns.PtrAsync(address, ct)).ToArray();
            }
            catch (DnsUnavailableException ex)
            {
                reverse.Add(new ReverseCheck(address.ToString(), [], false, false, ex.Message));
                problems.Add(ex.Message);
                continue;
            }
            var confirmed = false;
            foreach (var name in names)
                if ((await ForwardAsync(name, ct)).Addresses.Contains(address.ToString())) confirmed = true;
            var matchesHelo = names.Contains(helo);
            if (names.Length == 0) problems.Add($"{address} has no PTR record.");
            else if (!confirmed) problems.Add($"The PTR of {address} ({string.Join(", ", names)}) does not resolve back to it.");
            else if (!matchesHelo) problems.Add($"The PTR of {address} ({string.Join(", ", names)}) is not the HELO name {helo}.");
            reverse.Add(new ReverseCheck(address.ToString(), names, confirmed, matchesHelo, null));
        }
        return new DeliverabilityReport(helo, fqdn, settings.PublicAddresses, forward, reverse, problems.Count == 0, problems);
    }

    private async Task<ForwardCheck> ForwardAsync(string name, CancellationToken ct)
    {
        try
        {
            var v4 = await dns.AddressesAsync(name, QueryType.A, ct);
            var v6 = await dns.AddressesAsync(name, QueryType.AAAA, ct);
            var all = v4.Concat(v6).Select(a => a.ToString()).ToArray();
            return new ForwardCheck(name, all, all.Length == 0 ? $"{name} has no A or AAAA record." : null);
        }
        catch (DnsUnavailableException ex)
        {
            return new ForwardCheck(name, [], ex.Message);
        }
    }
}

/// <param name="Ok">True when the HELO name is an FQDN resolving to every public address and each address's PTR points back to it.</param>
public sealed record DeliverabilityReport(string HeloName, bool HeloNameIsFullyQualified, IReadOnlyList<string> PublicAddresses,
    ForwardCheck Forward, IReadOnlyList<ReverseCheck> Reverse, bool Ok, IReadOnlyList<string> Problems);

/// <param name="Addresses">The A and AAAA answers seen for <paramref name="Name"/>.</param>
public sealed record ForwardCheck(string Name, IReadOnlyList<string> Addresses, string? Error);

/// <param name="Ptr">The PTR answers seen for the address.</param>
/// <param name="ForwardConfirmed">A PTR name resolves back to the address (FCrDNS).</param>
public sealed record ReverseCheck(string Address, IReadOnlyList<string> Ptr, bool ForwardConfirmed, bool MatchesHeloName, string? Error);
