using System.Net;
using System.Net.Sockets;

namespace EmailApi.Events;

/// <summary>
/// Keeps webhooks from being turned against the network the service runs in (SSRF): unless
/// <c>Webhooks:AllowPrivateNetworks</c> is set, an endpoint may only be a public address. It is
/// checked when the endpoint is added (for literal addresses and <c>localhost</c>) and again on
/// every connection, against the address actually dialled, so DNS rebinding cannot get around it.
/// </summary>
public static class WebhookAddressGuard
{
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)) return false;
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
            return !(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || address.IsIPv6UniqueLocal);
        var b = address.GetAddressBytes();
        return !(b[0] is 0 or 10 or 127 or >= 224
            || (b[0] == 100 && b[1] is >= 64 and <= 127)      // carrier-grade NAT, RFC 6598
            || (b[0] == 169 && b[1] == 254)                     // link-local, cloud metadata services
            || (b[0] == 172 && b[1] is >= 16 and <= 31)
            || (b[0] == 192 && b[1] == 168)
            || (b[0] == 192 && b[1] == 0 && b[2] == 0)
            || (b[0] == 198 && b[1] is 18 or 19));             // benchmarking, RFC 2544
    }

    /// <summary>Whether a URL names an address that is plainly internal, before any DNS lookup.</summary>
    public static bool IsPlainlyInternal(Uri url) =>
        url.IsLoopback || url.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(url.Host.Trim('[', ']'), out var literal) && !IsPublic(literal));

    /// <summary>A connect callback for the webhook HTTP client that refuses internal addresses.</summary>
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> Connect(bool allowPrivate) => async (context, ct) =>
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        var allowed = addresses.Where(a => allowPrivate || IsPublic(a)).ToArray();
        if (allowed.Length == 0)
            throw new HttpRequestException($"The webhook host {host} resolves only to internal addresses; set Webhooks:AllowPrivateNetworks to allow them.");
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
    };
}
