using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using EmailApi.Tests.TestSupport;

namespace EmailApi.Tests.Transport;

/// <summary>
/// A certificate from a CA is sent with its intermediates, so a client that trusts only the root
/// and verifies the chain (Python, Nodemailer, OpenSSL) can connect. A test CA is made here:
/// root → intermediate → leaf; the client trusts the root alone.
/// </summary>
public sealed class CertificateChainTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "emailapi-chain-tests", Guid.NewGuid().ToString("N"));
    private readonly TestCa _ca = TestCa.Create();

    public CertificateChainTests() => Directory.CreateDirectory(_directory);

    public void Dispose()
    {
        _ca.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task StartTls_WithFullChainPem_ClientTrustingOnlyRootVerifies()
    {
        var path = Path.Combine(_directory, "fullchain.pem");
        File.WriteAllText(path, _ca.Leaf.ExportCertificatePem() + "\n" + _ca.Intermediate.ExportCertificatePem() + "\n" + _ca.LeafKey.ExportPkcs8PrivateKeyPem());
        await using var server = await BridgeServer.StartAsync(o => o.Certificate.Path = path);

        var (errors, sent) = await StartTlsAsync(server.SubmissionPort);

        Assert.Equal(SslPolicyErrors.None, errors);
        Assert.Contains(sent, c => c.Thumbprint == _ca.Intermediate.Thumbprint);
    }

    [Fact]
    public async Task StartTls_WithChainInPfx_ClientTrustingOnlyRootVerifies()
    {
        var path = Path.Combine(_directory, "chain.pfx");
        using var leafWithKey = _ca.Leaf.CopyWithPrivateKey(_ca.LeafKey);
        File.WriteAllBytes(path, new X509Certificate2Collection { leafWithKey, _ca.Intermediate }.Export(X509ContentType.Pkcs12, "secret")!);
        await using var server = await BridgeServer.StartAsync(o =>
        {
            o.Certificate.Path = path;
            o.Certificate.Password = "secret";
        });

        var (errors, _) = await StartTlsAsync(server.SubmissionPort);

        Assert.Equal(SslPolicyErrors.None, errors);
    }

    [Fact]
    public async Task StartTls_OpenSslShowCerts_SeesLeafAndIntermediateAndVerifies()
    {
        var path = Path.Combine(_directory, "fullchain.pem");
        File.WriteAllText(path, _ca.Leaf.ExportCertificatePem() + "\n" + _ca.Intermediate.ExportCertificatePem() + "\n" + _ca.LeafKey.ExportPkcs8PrivateKeyPem());
        var rootPath = Path.Combine(_directory, "root.pem");
        File.WriteAllText(rootPath, _ca.Root.ExportCertificatePem());
        await using var server = await BridgeServer.StartAsync(o => o.Certificate.Path = path);

        var start = new ProcessStartInfo("openssl",
            ["s_client", "-starttls", "smtp", "-connect", $"127.0.0.1:{server.SubmissionPort}", "-servername", "bridge.test",
             "-showcerts", "-CAfile", rootPath, "-verify_return_error"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var openssl = Process.Start(start)!;
        await openssl.StandardInput.WriteAsync("QUIT\r\n");
        openssl.StandardInput.Close();
        var output = openssl.StandardOutput.ReadToEndAsync();
        var error = openssl.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await openssl.WaitForExitAsync(timeout.Token);

        var text = await output;
        var certificates = text.Split("-----BEGIN CERTIFICATE-----").Length - 1;
        Assert.True(certificates == 2, $"openssl saw {certificates} certificate(s); stderr: {await error}");
        Assert.Contains("Verify return code: 0 (ok)", text);
    }

    /// <summary>EHLO, STARTTLS, then a TLS handshake that trusts only the test root and must build the chain from what the server sent.</summary>
    private async Task<(SslPolicyErrors Errors, X509Certificate2[] Sent)> StartTlsAsync(int port)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        var stream = tcp.GetStream();
        var reader = new StreamReader(stream, Encoding.ASCII);
        async Task<string> Reply()
        {
            string line;
            do line = (await reader.ReadLineAsync())!;
            while (line[3] == '-');
            return line;
        }
        Assert.StartsWith("220", await Reply());
        await stream.WriteAsync("EHLO client.test\r\n"u8.ToArray());
        Assert.StartsWith("250", await Reply());
        await stream.WriteAsync("STARTTLS\r\n"u8.ToArray());
        Assert.StartsWith("220", await Reply());

        var errors = SslPolicyErrors.None;
        X509Certificate2[] sent = [];
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.Add(_ca.Root);
        await using var tls = new SslStream(stream, leaveInnerStreamOpen: true);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = "bridge.test",
            CertificateChainPolicy = policy,
            RemoteCertificateValidationCallback = (_, _, chain, policyErrors) =>
            {
                errors = policyErrors;
                sent = chain?.ChainPolicy.ExtraStore.Cast<X509Certificate2>().ToArray() ?? [];
                return true;   // recorded for the assertion rather than failing the handshake
            },
        };
        await tls.AuthenticateAsClientAsync(options);
        return (errors, sent);
    }

    private sealed class TestCa : IDisposable
    {
        public required X509Certificate2 Root { get; init; }
        public required X509Certificate2 Intermediate { get; init; }
        public required X509Certificate2 Leaf { get; init; }
        public required RSA LeafKey { get; init; }

        public static TestCa Create()
        {
            var now = DateTimeOffset.UtcNow;
            using var rootKey = RSA.Create(2048);
            var rootRequest = new CertificateRequest("CN=EmailApi Test Root", rootKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            rootRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(rootRequest.PublicKey, false));
            var root = rootRequest.CreateSelfSigned(now.AddDays(-2), now.AddYears(2));

            using var intermediateKey = RSA.Create(2048);
            var intermediateRequest = new CertificateRequest("CN=EmailApi Test Intermediate", intermediateKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            intermediateRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
            intermediateRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            intermediateRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(intermediateRequest.PublicKey, false));
            intermediateRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, true, false));
            using var intermediatePublic = intermediateRequest.Create(root, now.AddDays(-1), now.AddYears(1), [1, 2, 3, 4]);
            var intermediate = intermediatePublic.CopyWithPrivateKey(intermediateKey);

            var leafKey = RSA.Create(2048);
            var leafRequest = new CertificateRequest("CN=bridge.test", leafKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("bridge.test");
            names.AddIpAddress(IPAddress.Loopback);
            leafRequest.CertificateExtensions.Add(names.Build());
            leafRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            leafRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
            leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
            leafRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(intermediate, true, false));
            var leaf = leafRequest.Create(intermediate, now.AddHours(-1), now.AddMonths(6), [5, 6, 7, 8]);

            // Only the public parts of the CA certificates are needed from here on.
            var rootPublic = X509CertificateLoader.LoadCertificate(root.RawData);
            var intermediateOnly = X509CertificateLoader.LoadCertificate(intermediate.RawData);
            root.Dispose();
            intermediate.Dispose();
            return new TestCa { Root = rootPublic, Intermediate = intermediateOnly, Leaf = leaf, LeafKey = leafKey };
        }

        public void Dispose()
        {
            Root.Dispose();
            Intermediate.Dispose();
            Leaf.Dispose();
            LeafKey.Dispose();
        }
    }
}
