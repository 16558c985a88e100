using System.Net;
using DnsClient;
using DnsClient.Protocol;
using EmailApi.Delivery;
using Microsoft.Extensions.Options;

namespace EmailApi.Domains;

/// <summary>
/// The DNS questions domain checks ask, through the configured <c>Delivery:DnsServers</c> without a
/// cache (a user who just published a record must see it counted). Every answer is a value:
/// records, "no such name/no records" (an empty list), or <see cref="DnsUnavailableException"/> for
/// a timeout or SERVFAIL, which callers treat as "unknown" and never as "missing".
/// </summary>
public sealed class DnsLookup
{
    private readonly LookupClient _dns;

    public DnsLookup(IOptions<DeliveryOptions> delivery, IOptions<DomainsOptions> domains)
    {
        var servers = delivery.Value.DnsServers.Select(MxResolver.ParseServer).ToArray();
        var lookup = servers.Length > 0 ? new LookupClientOptions(servers) : new LookupClientOptions();
        lookup.UseCache = false;
        lookup.Timeout = domains.Value.DnsTimeout;
        lookup.Retries = 1;
        lookup.ThrowDnsErrors = false;
        lookup.ContinueOnDnsError = false;
        lookup.ContinueOnEmptyResponse = false;
        lookup.UseTcpFallback = true;
        _dns = new LookupClient(lookup);
    }

    /// <summary>Each TXT record's strings joined (RFC 7208 §3.3, RFC 6376 §3.6.2.2: a long value is split into strings).</summary>
    public async Task<IReadOnlyList<string>> TxtAsync(string name, CancellationToken ct) =>
        (await QueryAsync(name, QueryType.TXT, ct)).TxtRecords().Select(t => string.Concat(t.Text)).ToArray();

    public async Task<IReadOnlyList<(int Preference, string Host)>> MxAsync(string name, CancellationToken ct) =>
        (await QueryAsync(name, QueryType.MX, ct)).MxRecords().Select(m => ((int)m.Preference, Host(m.Exchange.Value))).ToArray();

    public async Task<IReadOnlyList<string>> CnameAsync(string name, CancellationToken ct) =>
        (await QueryAsync(name, QueryType.CNAME, ct)).CnameRecords().Select(c => Host(c.CanonicalName.Value)).ToArray();

    public async Task<IReadOnlyList<IPAddress>> AddressesAsync(string name, QueryType type, CancellationToken ct) =>
        type == QueryType.AAAA
            ? (await QueryAsync(name, QueryType.AAAA, ct)).AaaaRecords().Select(a => a.Address).ToArray()
            : (await QueryAsync(name, QueryType.A, ct)).ARecords().Select(a => a.Address).ToArray();

    public async Task<IReadOnlyList<string>> PtrAsync(IPAddress address, CancellationToken ct) =>
        (await QueryAsync(address.GetArpaName(), QueryType.PTR, ct)).PtrRecords().Select(p => Host(p.PtrDomainName.Value)).ToArray();

    private async Task<IReadOnlyList<DnsResourceRecord>> QueryAsync(string name, QueryType type, CancellationToken ct)
    {
        IDnsQueryResponse response;
        try
        {
            response = await _dns.QueryAsync(name, type, cancellationToken: ct);
        }
        catch (DnsResponseException ex)
        {
            throw new DnsUnavailableException($"DNS lookup of {type} {name} failed: {ex.Code} ({ex.Message}).");
        }
        if (response.HasError)
        {
            if (response.Header.ResponseCode == DnsHeaderResponseCode.NotExistentDomain) return [];
            throw new DnsUnavailableException($"DNS lookup of {type} {name} failed: {response.ErrorMessage}.");
        }
        return response.Answers;
    }

    private static string Host(string name) => name.TrimEnd('.').ToLowerInvariant();
}

/// <summary>A DNS answer we could not get (timeout, SERVFAIL): the state of the record is unknown.</summary>
public sealed class DnsUnavailableException(string message) : Exception(message);
