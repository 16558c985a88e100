using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using EmailApi.SmtpBridge.Protocol;
using SmtpServer.IO;

namespace EmailApi.SmtpBridge.Transport;

/// <summary>
/// One client connection as the SmtpServer package sees it: a duplex pipe over the socket that can
/// be upgraded to TLS (STARTTLS, or at once on the implicit-TLS port), with this bridge's reader and
/// writer in the middle. Disposing it frees the session's slots.
/// </summary>
internal sealed class BridgePipe : ISecurableDuplexPipe
{
    private static readonly StreamPipeReaderOptions ReaderOptions = new(bufferSize: 16 * 1024, leaveOpen: true);
    private static readonly StreamPipeWriterOptions WriterOptions = new(leaveOpen: true);

    private readonly NetworkStream _network;
    private readonly BridgeSession _session;
    private readonly BridgeSettings _settings;
    private readonly SslStreamCertificateContext _certificate;
    private readonly Action _release;
    private readonly GuardedReader _reader;
    private readonly ReplyWriter _writer;
    private SslStream? _tls;
    private int _disposed;

    public BridgePipe(Socket socket, BridgeSession session, BridgeSettings settings, SslStreamCertificateContext certificate, Action release)
    {
        _network = new NetworkStream(socket, ownsSocket: true);
        _session = session;
        _settings = settings;
        _certificate = certificate;
        _release = release;
        _writer = new ReplyWriter(PipeWriter.Create(_network, WriterOptions), session, settings, () => _reader!.EnterDataPhase());
        _reader = new GuardedReader(PipeReader.Create(_network, ReaderOptions), session, settings, _writer.CloseWithAsync, _writer.ReplyAsync);
    }

    public PipeReader Input => _reader;

    public PipeWriter Output => _writer;

    public bool IsSecure => _tls is not null;

    public SslProtocols SslProtocol => _tls?.SslProtocol ?? SslProtocols.None;

    public async Task UpgradeAsync(X509Certificate certificate, SslProtocols protocols, CancellationToken cancellationToken = default)
    {
        var tls = new SslStream(_network, leaveInnerStreamOpen: true);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_settings.CommandTimeout);
        try
        {
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = _certificate,
                EnabledSslProtocols = protocols,
                ClientCertificateRequired = false,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            }, timeout.Token);
        }
        catch
        {
            await tls.DisposeAsync();
            throw;
        }
        _tls = tls;
        _session.Tls = $"{Describe(tls.SslProtocol)} with cipher {tls.NegotiatedCipherSuite}";
        _reader.Replace(PipeReader.Create(tls, ReaderOptions));
        _writer.Replace(PipeWriter.Create(tls, WriterOptions));
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _tls?.Dispose();
        _network.Dispose();
        _release();
    }

    private static string Describe(SslProtocols protocol) => protocol switch
    {
        SslProtocols.Tls13 => "TLSv1.3",
        SslProtocols.Tls12 => "TLSv1.2",
        _ => protocol.ToString(),
    };
}
