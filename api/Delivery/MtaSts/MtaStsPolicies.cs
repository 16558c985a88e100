using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;
using EmailApi.Events;
using Microsoft.Extensions.Options;

namespace EmailApi.Delivery.MtaSts;

/// <summary>
/// Finds the MTA-STS policy of a destination domain (RFC 8461 §3): the <c>_mta-sts.&lt;domain&gt;</c>
/// TXT record says a policy exists and its <c>id</c>; the policy itself comes from
/// <c>https://mta-sts.&lt;domain&gt;/.well-known/mta-sts.txt</c>, fetched under §3.3's rules (no
/// redirects, 64 KB at most, <c>FetchTimeout</c>, text/plain, a certificate valid for the policy host)
/// and through the same address rule as webhooks (<see cref="WebhookAddressGuard.Judge"/>), since the
/// host's address comes from a DNS zone the domain's owner controls.
/// A policy is cached for its <c>max_age</c> and fetched again when the TXT id changes; a failed fetch
/// keeps using a cached policy that has not expired (§5.1). Failures are never errors of delivery:
/// without a policy, mail goes as it would without MTA-STS (§5).
/// The cache is in the database (<see cref="IMtaStsPolicyStore"/>), so nodes sharing PostgreSQL fetch a policy once between them.
/// </summary>
public sealed class MtaStsPolicies : IDisposable
{
    private const int MaxPolicyBytes = 64 * 1024;
    private readonly IMtaStsPolicyStore _cache;
    private readonly LookupClient _dns;
    private readonly HttpClient _http;
    private readonly MtaStsOptions _settings;
    private readonly TimeProvider _clock;
    private readonly ILogger<MtaStsPolicies> _log;

    public MtaStsPolicies(IMtaStsPolicyStore cache, IOptions<DeliveryOptions> delivery, IOptions<MtaStsOptions> options, CertificateCheck certificates,
        TimeProvider clock, ILogger<MtaStsPolicies> log)
    {
        _cache = cache;
        _settings = options.Value;
        _clock = clock;
        _log = log;
        var servers = delivery.Value.DnsServers.Select(MxResolver.ParseServer).ToArray();
        _dns = new LookupClient(new LookupClientOptions(servers.Length > 0 ? servers : [.. new LookupClient().NameServers])
        {
            UseCache = false,
            Timeout = delivery.Value.DnsTimeout,
            Retries = 1,
            ThrowDnsErrors = false,
            UseTcpFallback = true,
        });
        var handler = new SocketsHttpHandler
        {
            // RFC 8461 §3.3: "HTTP 3xx redirects MUST NOT be followed".
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            ConnectCallback = ConnectAsync,
            SslOptions = { RemoteCertificateValidationCallback = (_, cert, chain, errors) => certificates.IsValid(cert, chain, errors) },
        };
        _http = new HttpClient(handler) { Timeout = _settings.FetchTimeout, MaxResponseContentBufferSize = MaxPolicyBytes };
    }

    public async Task<MtaStsLookup> LookupAsync(string domain, CancellationToken ct)
    {
        domain = domain.ToLowerInvariant().TrimEnd('.');
        var now = _clock.GetUtcNow();
        var cached = await _cache.FindAsync(domain, ct) is { } entry && entry.ExpiresAt > now ? entry.Policy : null;

        string? id;
        try
        {
            id = await TxtIdAsync(domain, ct);
        }
        catch (DnsResponseException ex)
        {
            _log.LogInformation("MTA-STS TXT lookup for {Domain} failed: {Reason}", domain, ex.Message);
            return cached is null ? new MtaStsLookup.NoPolicy() : new MtaStsLookup.Found(cached);
        }
        // §5.1: a cached, unexpired policy stays in force even if the TXT record disappears.
        if (id is null) return cached is null ? new MtaStsLookup.NoPolicy() : new MtaStsLookup.Found(cached);
        if (cached is not null && cached.Id == id) return new MtaStsLookup.Found(cached);

        var fetched = await FetchAsync(domain, id, ct);
        if (fetched is MtaStsLookup.Found found)
        {
            await _cache.SaveAsync(new CachedMtaStsPolicy(domain, found.Policy, now, now + found.Policy.MaxAge), ct);
            return found;
        }
        return cached is null ? fetched : new MtaStsLookup.Found(cached);
    }

    /// <summary>
    /// POSTs a gzipped TLS report to an <c>https:</c> rua (RFC 8460 §5.2) over the same client as policy
    /// fetches: the address rule, no redirects, a valid certificate. True when the server answered 2xx.
    /// </summary>
    public async Task<bool> PostReportAsync(Uri url, byte[] gzipped, CancellationToken ct)
    {
        using var content = new ByteArrayContent(gzipped);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/tlsrpt+gzip");
        try
        {
            using var response = await _http.PostAsync(url, content, ct);
            if (!response.IsSuccessStatusCode) _log.LogInformation("TLS report POST to {Url} answered {Status}", url, (int)response.StatusCode);
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or SocketException
                                   || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            _log.LogInformation("TLS report POST to {Url} failed: {Reason}", url, ex.Message);
            return false;
        }
    }

    public void Dispose() => _http.Dispose();

    /// <summary>The <c>id</c> of the one <c>v=STSv1</c> TXT record, or null when there is none (§3.1: several means none).</summary>
    private async Task<string?> TxtIdAsync(string domain, CancellationToken ct)
    {
        var answer = await _dns.QueryAsync($"_mta-sts.{domain}", QueryType.TXT, cancellationToken: ct);
        if (answer.HasError && answer.Header.ResponseCode != DnsHeaderResponseCode.NotExistentDomain)
            throw new DnsResponseException(answer.ErrorMessage);
        var records = answer.Answers.TxtRecords().Select(r => string.Concat(r.Text))
            .Where(t => t.StartsWith("v=STSv1", StringComparison.Ordinal)).ToArray();
        if (records.Length != 1) return null;
        foreach (var field in records[0].Split(';'))
        {
            var parts = field.Split('=', 2);
            if (parts.Length == 2 && parts[0].Trim() == "id" && parts[1].Trim() is { Length: > 0 and <= 32 } value && value.All(char.IsAsciiLetterOrDigit))
                return value;
        }
        return null;
    }

    private async Task<MtaStsLookup> FetchAsync(string domain, string id, CancellationToken ct)
    {
        var port = _settings.PolicyPort == 443 ? "" : $":{_settings.PolicyPort}";
        var url = new Uri($"https://mta-sts.{domain}{port}/.well-known/mta-sts.txt");
        try
        {
            using var response = await _http.GetAsync(url, HttpCompletionOption.ResponseContentRead, ct);
            if (response.StatusCode != HttpStatusCode.OK)
                return Unavailable(domain, "sts-policy-fetch-error", $"{url} answered {(int)response.StatusCode}");
            if (response.Content.Headers.ContentType?.MediaType is not "text/plain")
                return Unavailable(domain, "sts-policy-invalid", $"{url} is {response.Content.Headers.ContentType?.MediaType ?? "untyped"}, not text/plain");
            var text = await response.Content.ReadAsStringAsync(ct);
            return MtaStsPolicy.Parse(text, id) switch
            {
                MtaStsParse.Valid valid => new MtaStsLookup.Found(valid.Policy),
                MtaStsParse.Invalid invalid => Unavailable(domain, "sts-policy-invalid", invalid.Reason),
                var other => throw new System.Diagnostics.UnreachableException(other.ToString()),
            };
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or SocketException or DnsResponseException
                                   || (ex is OperationCanceledException or TaskCanceledException && !ct.IsCancellationRequested))
        {
            return Unavailable(domain, "sts-policy-fetch-error", $"{url}: {ex.Message}");
        }
    }

    private MtaStsLookup.Unavailable Unavailable(string domain, string type, string reason)
    {
        _log.LogInformation("MTA-STS policy of {Domain} unavailable ({Type}): {Reason}", domain, type, reason);
        return new MtaStsLookup.Unavailable(type, reason);
    }

    /// <summary>Resolves the policy host through the delivery name servers and dials only addresses that pass the webhook address rule.</summary>
    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var v4 = _dns.QueryAsync(host, QueryType.A, cancellationToken: ct);
        var v6 = _dns.QueryAsync(host, QueryType.AAAA, cancellationToken: ct);
        var addresses = (await Task.WhenAll(v4, v6)).SelectMany(a => a.Answers.OfType<AddressRecord>()).Select(r => r.Address).ToArray();
        var own = _settings.AllowPrivateNetworks ? [] : WebhookAddressGuard.OwnInterfaceAddresses();
        var allowed = _settings.AllowPrivateNetworks
            ? addresses
            : addresses.Where(a => WebhookAddressGuard.Judge(a, own) is WebhookAddressVerdict.Allowed).ToArray();
        if (allowed.Length == 0)
            throw new HttpRequestException(addresses.Length == 0
                ? $"{host} has no address"
                : $"refused to connect to {host}: its addresses are private or special-purpose (see Delivery:MtaSts:AllowPrivateNetworks)");
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
