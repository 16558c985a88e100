using System.Net;
using EmailApi.Delivery;
using EmailApi.SmtpBridge;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace EmailApi.Hosting;

/// <summary>
/// Tells the sender which endpoints this process listens on (HTTP and both SMTP listeners, as bound,
/// so ports picked at start count), so it never dials itself (<see cref="LoopGuard"/>).
/// </summary>
public static class OwnListenerRegistration
{
    public static IServiceCollection AddOwnListeners(this IServiceCollection services)
    {
        services.AddSingleton(sp => new OwnListener("http", () => Http(sp.GetService<IServer>())));
        services.AddSingleton(sp => new OwnListener("smtp", () => Smtp(sp.GetService<SmtpBridgeHost>())));
        services.AddSingleton(sp => new OwnListener("mx", () => sp.GetService<Feedback.InboundListener>()?.EndPoint is { } mx ? [mx] : []));
        return services;
    }

    private static IEnumerable<IPEndPoint> Smtp(SmtpBridgeHost? host) =>
        host is null ? [] : new[] { host.SubmissionEndPoint, host.ImplicitTlsEndPoint }.OfType<IPEndPoint>();

    /// <summary>Kestrel's bound addresses (<c>http://127.0.0.1:8025</c>, <c>http://[::]:80</c>, <c>http://localhost:5000</c>).</summary>
    private static IEnumerable<IPEndPoint> Http(IServer? server)
    {
        var addresses = server?.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (var address in addresses)
        {
            var rest = address[(address.IndexOf("://", StringComparison.Ordinal) is var s and >= 0 ? s + 3 : 0)..];
            var colon = rest.LastIndexOf(':');
            if (colon < 0 || !int.TryParse(rest[(colon + 1)..].TrimEnd('/'), out var port)) continue;
            var host = rest[..colon].Trim('[', ']');
            if (host is "localhost")
            {
                yield return new IPEndPoint(IPAddress.Loopback, port);
                yield return new IPEndPoint(IPAddress.IPv6Loopback, port);
            }
            else if (host is "*" or "+" || !IPAddress.TryParse(host, out var ip))
            {
                yield return new IPEndPoint(IPAddress.IPv6Any, port);
            }
            else
            {
                yield return new IPEndPoint(ip, port);
            }
        }
    }
}
