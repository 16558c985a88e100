using System.Net;
using EmailApi.Delivery;
using EmailApi.SmtpBridge;
using EmailApi.Storage;
using Microsoft.Extensions.Options;

namespace EmailApi.Feedback;

/// <summary>
/// The <c>mx</c> role: the SMTP adapter (smtp-bridge/) in its inbound mode behind <see cref="InboundPort"/>,
/// with the submission bridge's limits (sessions per address, connections per minute, errors, line
/// length, timeouts, bare CR/LF refused, STARTTLS with the same certificate) and its own size limit.
/// </summary>
public sealed class InboundListener : IHostedService, IDisposable
{
    private readonly SmtpBridgeHost _host;

    public InboundListener(InboundPort port, IOptions<InboundOptions> inbound, IConfiguration configuration, IOptions<StorageOptions> storage,
        IOptions<DeliveryOptions> delivery, TimeProvider clock, ILoggerFactory loggers, SmtpMetrics metrics)
    {
        var smtp = configuration.GetSection(SmtpOptions.Section).Get<SmtpOptions>() ?? new SmtpOptions();
        smtp.Address = inbound.Value.Address;
        smtp.Port = inbound.Value.Port;
        smtp.ImplicitTlsPort = -1;
        smtp.MaxMessageBytes = inbound.Value.MaxMessageBytes;
        smtp.ServerName = configuration["Inbound:HostName"] is { Length: > 0 } name ? name : smtp.ServerName is { Length: > 0 } s ? s : delivery.Value.HeloName;
        smtp.DataDirectory ??= Path.GetDirectoryName(Path.GetFullPath(storage.Value.Sqlite.Path));
        // Everyone may send reports (RFC 5321 §4.5.1: an MX takes mail from any client); the port
        // limits the recipients, so this is no open relay.
        smtp.Inbound = true;
        smtp.TrustedNetworks = ["0.0.0.0/0", "::/0"];
        smtp.TrustedAccount = InboundPort.PrincipalName;
        smtp.ConnectionLimitExemptNetworks = [];
        smtp.PlaintextAuthNetworks = [];
        _host = new SmtpBridgeHost(port, Options.Create(smtp), clock, loggers, metrics);
    }

    /// <summary>Where it listens (null when off); with port 0 this shows the port picked.</summary>
    public IPEndPoint? EndPoint => _host.SubmissionEndPoint;

    public Task StartAsync(CancellationToken cancellationToken) => _host.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => _host.StopAsync(cancellationToken);

    public void Dispose() => _host.Dispose();
}
