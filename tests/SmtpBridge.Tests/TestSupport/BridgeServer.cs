using EmailApi.SmtpBridge;
using EmailApi.SmtpBridge.Transport;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EmailApi.Tests.TestSupport;

/// <summary>A real <see cref="SmtpBridgeHost"/> on free loopback ports with a fake port behind it and its own data folder.</summary>
internal sealed class BridgeServer : IAsyncDisposable
{
    private static readonly Lazy<byte[]> SharedCertificate = new(() =>
    {
        var directory = Path.Combine(Path.GetTempPath(), "emailapi-bridge-tests", "cert-" + Guid.NewGuid().ToString("N"));
        using var certificate = CertificateSource.Load(new SmtpOptions { DataDirectory = directory }, "bridge.test", TimeProvider.System, NullLogger.Instance);
        var bytes = File.ReadAllBytes(Path.Combine(directory, CertificateSource.SelfSignedFileName));
        System.IO.Directory.Delete(directory, recursive: true);
        return bytes;
    });

    private BridgeServer(SmtpBridgeHost host, FakeSubmissionPort port, string directory)
    {
        Host = host;
        Port = port;
        Directory = directory;
    }

    public SmtpBridgeHost Host { get; }

    public FakeSubmissionPort Port { get; }

    public string Directory { get; }

    public int SubmissionPort => Host.SubmissionEndPoint!.Port;

    public int ImplicitTlsPort => Host.ImplicitTlsEndPoint!.Port;

    public static async Task<BridgeServer> StartAsync(Action<SmtpOptions>? configure = null, TimeProvider? clock = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "emailapi-bridge-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        // Generating an RSA key takes up to a second; every server of the run reuses one certificate,
        // which is also the path a restarted host takes.
        File.WriteAllBytes(Path.Combine(directory, CertificateSource.SelfSignedFileName), SharedCertificate.Value);
        var options = new SmtpOptions
        {
            Port = 0,
            ImplicitTlsPort = 0,
            ServerName = "bridge.test",
            DataDirectory = directory,
            AuthFailureDelay = TimeSpan.Zero,
        };
        configure?.Invoke(options);
        var port = new FakeSubmissionPort();
        var host = new SmtpBridgeHost(port, Options.Create(options), clock ?? TimeProvider.System, NullLoggerFactory.Instance);
        await host.StartAsync(CancellationToken.None);
        return new BridgeServer(host, port, directory);
    }

    /// <summary>A MailKit client, connected; TLS trusts the self-signed certificate.</summary>
    public async Task<SmtpClient> ConnectAsync(SecureSocketOptions tls = SecureSocketOptions.None, bool implicitTls = false)
    {
        var client = new SmtpClient { CheckCertificateRevocation = false, Timeout = 15_000 };
        client.ServerCertificateValidationCallback = (_, _, _, _) => true;
        await client.ConnectAsync("127.0.0.1", implicitTls ? ImplicitTlsPort : SubmissionPort, tls);
        return client;
    }

    public Task<RawSmtpClient> ConnectRawAsync(System.Net.IPAddress? from = null) => RawSmtpClient.ConnectAsync(SubmissionPort, from);

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await Host.StopAsync(timeout.Token);
        Host.Dispose();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
