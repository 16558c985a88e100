using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using EmailApi.SmtpBridge.Protocol;
using EmailApi.SmtpBridge.Transport;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SmtpServer;
using SmtpServer.Net;
using SmtpServiceProvider = SmtpServer.ComponentModel.ServiceProvider;
using SmtpServerEngine = SmtpServer.SmtpServer;

namespace EmailApi.SmtpBridge;

/// <summary>
/// Runs the SMTP bridge: the submission listener (STARTTLS offered) and the implicit-TLS listener,
/// on the SmtpServer package, handing every message to an <see cref="ISubmissionPort"/>.
/// </summary>
/// <remarks>
/// Both ports are bound in <see cref="StartAsync"/>, so a port in use stops the host at once.
/// <see cref="StopAsync"/> stops accepting, ends idle sessions with 421, and lets a message whose
/// commit is under way get its 250 until the host's shutdown timeout runs out.
/// </remarks>
public sealed class SmtpBridgeHost(ISubmissionPort port, IOptions<SmtpOptions> options, TimeProvider clock, ILoggerFactory loggers, SmtpMetrics? metrics = null) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _hardStop = new();
    private readonly ILogger _log = loggers.CreateLogger("EmailApi.SmtpBridge");
    private Task? _running;
    private SessionSlots? _slots;
    private int _disposed;

    /// <summary>Where the STARTTLS listener is bound (null when off); with port 0 this shows the port picked.</summary>
    public IPEndPoint? SubmissionEndPoint { get; private set; }

    /// <summary>Where the implicit-TLS listener is bound (null when off).</summary>
    public IPEndPoint? ImplicitTlsEndPoint { get; private set; }

    private string ListenerName => options.Value.Inbound ? "inbound" : "submission";

    /// <summary>Sessions open right now.</summary>
    public int OpenSessions => _slots?.InUse ?? 0;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = BridgeSettings.From(options.Value);
        var certificate = CertificateSource.Load(options.Value, settings.ServerName, clock, _log);
        // With the intermediates the context sends the whole chain (SslStream otherwise sends only
        // the leaf unless the machine's store happens to hold them).
        var certificateContext = SslStreamCertificateContext.Create(certificate, CertificateSource.LoadIntermediates(options.Value, certificate), offline: true);
        var throttle = new AuthThrottle(settings, clock);
        var guard = new SessionGuard(throttle, settings);
        _slots = new SessionSlots(settings.MaxSessions);
        var limits = new AddressLimits(settings, clock);

        var listeners = new Dictionary<IEndpointDefinition, BridgeListener>();
        var builder = new SmtpServerOptionsBuilder()
            .ServerName(settings.ServerName)
            // Ignore: this bridge enforces the size itself while reading (GuardedReader); the
            // package still compares a declared SIZE= with it and answers 552.
            .MaxMessageSize(settings.MaxMessageBytes, MaxMessageSizeHandling.Ignore)
            // Errors are counted by the reply writer (Smtp:MaxErrors); the package's counter would
            // close the session silently after five in a row.
            .MaxRetryCount(int.MaxValue)
            .MaxAuthenticationAttempts(settings.MaxAuthAttempts)
            .CommandWaitTimeout(settings.CommandTimeout)
            .CustomSmtpGreeting(_ => $"220 {settings.ServerName} ESMTP EmailApi");
        try
        {
            if (settings.Port >= 0)
                SubmissionEndPoint = Listen(secure: false, settings.Port);
            if (settings.ImplicitTlsPort >= 0)
                ImplicitTlsEndPoint = Listen(secure: true, settings.ImplicitTlsPort);
        }
        catch
        {
            foreach (var listener in listeners.Values) listener.Dispose();
            throw;
        }

        var services = new SmtpServiceProvider();
        services.Add(new BridgeListenerFactory(listeners));
        services.Add(new BridgeCommandFactory(settings));
        services.Add(new BridgeAuthenticator(port, throttle, clock, _log, () => metrics?.SessionAuthenticated(ListenerName)));
        services.Add(new BridgeMailboxFilter(port, settings, _log));
        services.Add(new BridgeMessageStore(port, settings, clock, _log, _hardStop.Token));
        var server = new SmtpServerEngine(builder.Build(), services);
        server.SessionFaulted += (_, e) =>
        {
            metrics?.SessionFaulted(ListenerName);
            _log.LogDebug(e.Exception, "SMTP session from {Remote} ended with an error",
                e.Context.Properties.TryGetValue(EndpointListener.RemoteEndPointKey, out var remote) ? remote : "?");
        };
        if (metrics is not null) server.SessionCreated += (_, _) => metrics.SessionBegun(ListenerName);
        _running = server.StartAsync(_stop.Token);
        _log.LogInformation("SMTP bridge listening on {Submission} (STARTTLS) and {ImplicitTls} (implicit TLS) as {Name}",
            SubmissionEndPoint?.ToString() ?? "off", ImplicitTlsEndPoint?.ToString() ?? "off", settings.ServerName);
        return Task.CompletedTask;

        IPEndPoint Listen(bool secure, int portNumber)
        {
            var definition = new EndpointDefinitionBuilder()
                .Endpoint(new IPEndPoint(settings.Address, portNumber))
                .IsSecure(secure)
                // Whether AUTH may go in plaintext is decided per client (SessionGuard), not per port.
                .AllowUnsecureAuthentication(true)
                // MAIL without AUTH is refused by the mailbox filter, which knows the trusted networks.
                .AuthenticationRequired(false)
                .SessionTimeout(settings.SessionTimeout)
                .Certificate(certificate)
                .SupportedSslProtocols(SslProtocols.Tls12 | SslProtocols.Tls13)
                .Build();
            var tcp = new TcpListener(definition.Endpoint);
            if (settings.Address.Equals(IPAddress.IPv6Any)) tcp.Server.DualMode = true;   // "::" should take IPv4 clients too
            tcp.Start(backlog: 512);
            var listener = new BridgeListener(tcp, settings, certificateContext, _slots, limits, guard, _log);
            listeners[definition] = listener;
            builder.Endpoint(definition);
            return listener.LocalEndPoint;
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_running is null) return;
        await _stop.CancelAsync();
        try
        {
            await _running.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The host's shutdown timeout: stop waiting for commits still under way.
            await _hardStop.CancelAsync();
        }
        catch (Exception ex)
        {
            _log.LogWarning(ex, "The SMTP bridge stopped with an error");
        }
    }

    public void Dispose()
    {
        // The container may dispose this twice: once as itself, once as the hosted service.
        // The sources are cancelled, not disposed: they hold no timer or wait handle, and the host
        // may still call StopAsync after disposing (a test host's teardown did), which must not throw.
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stop.Cancel();
        _hardStop.Cancel();
    }
}
