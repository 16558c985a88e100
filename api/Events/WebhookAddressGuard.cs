using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;
using Microsoft.Extensions.Options;

namespace EmailApi.Events;

/// <summary>
/// Keeps webhooks from being turned against the network the service runs in (SSRF): unless
/// <c>Webhooks:AllowPrivateNetworks</c> is set, an endpoint may only be an ordinary global address,
/// outside every special-purpose block (<see cref="SpecialPurposeRange.All"/>; IPv6 forms that embed
/// an IPv4 address are judged by that address) and not one of this machine's own interface
/// addresses, which may well be public yet reach services listening on all interfaces.
/// It is checked when an endpoint is added (the literal address, or every address its name resolves
/// to) and again on every connection, against the addresses actually dialled, so a name that changes
/// its answer afterwards (DNS rebinding) cannot get around it. Names are resolved through
/// <c>Webhooks:DnsServers</c>, or the system's resolver when none are set.
/// </summary>
public sealed class WebhookAddressGuard
{
    private readonly bool _allowPrivate;
    private readonly TimeSpan _timeout;
    private readonly LookupClient? _dns;
    private readonly Func<IReadOnlyCollection<IPAddress>> _ownAddresses;

    public WebhookAddressGuard(IOptions<WebhookOptions> options) : this(options.Value, OwnInterfaceAddresses) { }

    /// <summary>With the machine's own addresses given, so a test can make an ordinary address "ours".</summary>
    internal WebhookAddressGuard(WebhookOptions settings, Func<IReadOnlyCollection<IPAddress>> ownAddresses)
    {
        _allowPrivate = settings.AllowPrivateNetworks;
        _timeout = settings.Timeout;
        _ownAddresses = ownAddresses;
        if (settings.DnsServers is { Count: > 0 } servers)
        {
            _dns = new LookupClient(new LookupClientOptions(servers.Select(ParseServer).ToArray())
            {
                UseCache = false,   // every connection must see the answer it will dial, not an older one
                Timeout = settings.Timeout,
                Retries = 1,
                ThrowDnsErrors = false,
                UseTcpFallback = true,
            });
        }
    }

    /// <summary>The verdict for one address, given this machine's own addresses (private networks not allowed).</summary>
    public static WebhookAddressVerdict Judge(IPAddress address, IReadOnlyCollection<IPAddress> ownAddresses)
    {
        var plain = Plain(address);
        if (ownAddresses.Any(own => Plain(own).Equals(plain)))
            return new WebhookAddressVerdict.Refused($"{plain} is an address of this machine");
        if (SpecialPurposeRange.Find(plain) is not { } range)
            return new WebhookAddressVerdict.Allowed();
        if (range.Embedded is null)
            return new WebhookAddressVerdict.Refused($"{plain} is in {range}");
        var inner = range.Embedded(plain);
        return Judge(inner, ownAddresses) switch
        {
            WebhookAddressVerdict.Refused r => new WebhookAddressVerdict.Refused($"{plain} embeds {inner} ({range.Name}, {range.Rfc}) and {r.Reason}"),
            var allowed => allowed,
        };
    }

    /// <summary>
    /// The check made when an endpoint is added: the literal address, or every address its name
    /// resolves to now. A name that does not resolve yet is let through: it is checked on every connection.
    /// </summary>
    public async Task<WebhookAddressVerdict> CheckAsync(Uri url, CancellationToken ct)
    {
        if (_allowPrivate) return new WebhookAddressVerdict.Allowed();
        IReadOnlyList<IPAddress> addresses;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_timeout);
        try
        {
            addresses = await ResolveAsync(url.DnsSafeHost, timeout.Token);
        }
        catch (Exception ex) when (ex is SocketException or DnsResponseException || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return new WebhookAddressVerdict.Allowed();
        }
        var own = _ownAddresses();
        foreach (var address in addresses)
            if (Judge(address, own) is WebhookAddressVerdict.Refused refused)
                return refused;
        return new WebhookAddressVerdict.Allowed();
    }

    /// <summary>
    /// The connect callback of the webhook HTTP client: resolves the host itself and dials only the
    /// addresses that pass, so what is checked is exactly what is connected to.
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = await ResolveAsync(host, ct);
        IPAddress[] allowed;
        if (_allowPrivate)
        {
            allowed = [.. addresses];
        }
        else
        {
            var own = _ownAddresses();
            var verdicts = addresses.Select(a => (Address: a, Verdict: Judge(a, own))).ToArray();
            allowed = [.. verdicts.Where(v => v.Verdict is WebhookAddressVerdict.Allowed).Select(v => v.Address)];
            if (allowed.Length == 0)
            {
                var reasons = verdicts.Select(v => ((WebhookAddressVerdict.Refused)v.Verdict).Reason);
                throw new HttpRequestException(
                    $"Refused to connect to {host}: {(addresses.Count == 0 ? "it has no address" : string.Join("; ", reasons))}. " +
                    "Webhooks must reach a public address (see Webhooks:AllowPrivateNetworks).");
            }
        }
        if (allowed.Length == 0) throw new HttpRequestException($"The webhook host {host} has no address.");

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

    private async Task<IReadOnlyList<IPAddress>> ResolveAsync(string host, CancellationToken ct)
    {
        host = host.Trim('[', ']');
        if (IPAddress.TryParse(host, out var literal)) return [literal];
        // RFC 6761 §6.3: localhost and every name under it are loopback, whatever a DNS server says;
        // a trailing dot (the absolute form) names the same host.
        var name = host.TrimEnd('.');
        if (name.Equals("localhost", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
            return [IPAddress.Loopback, IPAddress.IPv6Loopback];
        if (_dns is null) return await Dns.GetHostAddressesAsync(host, ct);

        var v4 = _dns.QueryAsync(name, QueryType.A, cancellationToken: ct);
        var v6 = _dns.QueryAsync(name, QueryType.AAAA, cancellationToken: ct);
        var answers = await Task.WhenAll(v4, v6);
        return [.. answers.SelectMany(a => a.Answers.OfType<AddressRecord>()).Select(r => r.Address)];
    }

    internal static IReadOnlyCollection<IPAddress> OwnInterfaceAddresses()
    {
        try
        {
            return [.. NetworkInterface.GetAllNetworkInterfaces().SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(u => u.Address)];
        }
        catch (NetworkInformationException)
        {
            return [];
        }
    }

    // Compare and judge addresses without their zone (fe80::1%2 is fe80::1) and IPv4-mapped forms of
    // the machine's own addresses as the IPv4 address they stand for.
    private static IPAddress Plain(IPAddress address) =>
        address.IsIPv4MappedToIPv6 ? address.MapToIPv4()
        : address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0 ? new IPAddress(address.GetAddressBytes())
        : address;

    private static NameServer ParseServer(string text) =>
        IPEndPoint.TryParse(text, out var endpoint)
            ? new NameServer(endpoint.Port == 0 ? new IPEndPoint(endpoint.Address, 53) : endpoint)
            : throw new InvalidOperationException($"Webhooks:DnsServers: '{text}' is not an IP address with an optional port.");
}
