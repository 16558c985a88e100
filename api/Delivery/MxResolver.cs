using EmailApi.Queue;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;
using Microsoft.Extensions.Options;

namespace EmailApi.Delivery;

/// <summary>
/// Finds the hosts that take mail for a domain (RFC 5321 §5.1): MX records in preference order,
/// equal preferences shuffled to spread load; no MX → the domain's own A/AAAA ("implicit MX");
/// a null MX (RFC 7505, <c>0 .</c>) or NXDOMAIN → the domain takes no mail; SERVFAIL or a
/// timeout → try later. Only this class and <see cref="SmtpRelay"/> talk to the network.
/// </summary>
public sealed class MxResolver
{
    private readonly LookupClient _dns;
    private readonly int _maxHosts;

    public MxResolver(IOptions<DeliveryOptions> options)
    {
        var settings = options.Value;
        var servers = settings.DnsServers.Select(ParseServer).ToArray();
        var lookup = servers.Length > 0 ? new LookupClientOptions(servers) : new LookupClientOptions();
        lookup.UseCache = true;
        lookup.Timeout = settings.DnsTimeout;
        lookup.Retries = 1;
        lookup.ThrowDnsErrors = false;
        lookup.ContinueOnDnsError = false;
        lookup.ContinueOnEmptyResponse = false;
        lookup.UseTcpFallback = true;
        _dns = new LookupClient(lookup);
        _maxHosts = settings.MaxMxHosts;
    }

    public async Task<MxRoute> ResolveAsync(string domain, CancellationToken ct)
    {
        string ascii;
        try
        {
            ascii = new IdnMapping().GetAscii(domain.TrimEnd('.'));
        }
        catch (ArgumentException)
        {
            return new MxRoute.NoMail(SmtpReply.Local("5.1.2", $"Invalid domain name {domain}"));
        }

        try
        {
            var mx = await _dns.QueryAsync(ascii, QueryType.MX, cancellationToken: ct);
            if (Problem(mx, ascii) is { } problem) return problem;

            var records = mx.Answers.MxRecords().ToList();
            if (records.Count == 0)
            {
                // RFC 5321 §5.1: no MX records, so the domain itself is the one host, with preference 0.
                var addresses = await AddressesAsync(ascii, ct);
                return addresses switch
                {
                    { Count: > 0 } => new MxRoute.Hosts([new MxHost(ascii, 0, addresses)]),
                    _ => new MxRoute.NoMail(SmtpReply.Local("5.1.2", $"Domain {domain} has no MX and no address records")),
                };
            }

            // RFC 7505 §3: a single MX with an empty target ("0 .") says the domain accepts no mail.
            if (records.Any(r => r.Exchange.Value is "." or ""))
                return new MxRoute.NoMail(SmtpReply.Local("5.1.10", $"Domain {domain} does not accept mail (null MX, RFC 7505)"));

            var ordered = records
                .GroupBy(r => r.Preference)
                .OrderBy(g => g.Key)
                .SelectMany(g => g.OrderBy(_ => Random.Shared.Next()))
                .Take(_maxHosts)
                .ToList();

            var hosts = new List<MxHost>(ordered.Count);
            foreach (var record in ordered)
            {
                var name = record.Exchange.Value.TrimEnd('.');
                var addresses = await AddressesAsync(name, ct);
                if (addresses.Count > 0) hosts.Add(new MxHost(name, record.Preference, addresses));
            }

            // An MX target with no address is a broken zone that is often fixed soon: like Postfix, defer.
            return hosts.Count > 0
                ? new MxRoute.Hosts(hosts)
                : new MxRoute.TryLater(SmtpReply.Local("4.4.3", $"No address found for the MX hosts of {domain}"));
        }
        catch (DnsResponseException ex)
        {
            return new MxRoute.TryLater(SmtpReply.Local("4.4.3", $"DNS lookup for {domain} failed: {ex.Message}"));
        }
    }

    private static MxRoute? Problem(IDnsQueryResponse response, string domain)
    {
        if (!response.HasError) return null;
        return response.Header.ResponseCode switch
        {
            DnsHeaderResponseCode.NotExistentDomain => new MxRoute.NoMail(SmtpReply.Local("5.1.2", $"Domain {domain} does not exist (NXDOMAIN)")),
            _ => new MxRoute.TryLater(SmtpReply.Local("4.4.3", $"DNS lookup for {domain} failed: {response.ErrorMessage}")),
        };
    }

    private async Task<IReadOnlyList<IPAddress>> AddressesAsync(string host, CancellationToken ct)
    {
        var v4 = await _dns.QueryAsync(host, QueryType.A, cancellationToken: ct);
        var v6 = await _dns.QueryAsync(host, QueryType.AAAA, cancellationToken: ct);
        if (v4.HasError && v6.HasError && v4.Header.ResponseCode != DnsHeaderResponseCode.NotExistentDomain)
            throw new DnsResponseException($"address lookup for {host} failed: {v4.ErrorMessage}");
        return v4.Answers.ARecords().Select(a => a.Address)
            .Concat(v6.Answers.AaaaRecords().Select(a => a.Address))
            .ToArray();
    }

    /// <summary>A name server setting (<c>host</c> or <c>host:port</c>, port 53 by default), as every DNS client of the service reads it.</summary>
    internal static NameServer ParseServer(string text)
    {
        if (IPEndPoint.TryParse(text, out var endpoint))
            return new NameServer(endpoint.Port == 0 ? new IPEndPoint(endpoint.Address, 53) : endpoint);
        var parts = text.Split(':');
        var address = Dns.GetHostAddresses(parts[0]).First(a => a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6);
        return new NameServer(address, parts.Length > 1 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : 53);
    }
}
