using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EmailApi.SmtpBridge;
using EmailApi.SmtpBridge.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace EmailApi.Tests.Transport;

public sealed class CertificateSourceTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "emailapi-cert-tests", Guid.NewGuid().ToString("N"));

    public CertificateSourceTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Load_WithoutConfiguredCertificate_GeneratesOnceAndReuses()
    {
        var options = new SmtpOptions { DataDirectory = _directory };

        using var first = CertificateSource.Load(options, "relay.test", TimeProvider.System, NullLogger.Instance);
        using var second = CertificateSource.Load(options, "relay.test", TimeProvider.System, NullLogger.Instance);

        Assert.True(first.HasPrivateKey);
        Assert.Equal("CN=relay.test", first.Subject);
        Assert.Equal(first.Thumbprint, second.Thumbprint);
        Assert.True(File.Exists(Path.Combine(_directory, CertificateSource.SelfSignedFileName)));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_directory, CertificateSource.SelfSignedFileName)));
    }

    [Fact]
    public void Load_PemWithKey_LoadsWithPrivateKey()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=pem.test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var path = Path.Combine(_directory, "cert.pem");
        File.WriteAllText(path, certificate.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem());

        using var loaded = CertificateSource.Load(new SmtpOptions { Certificate = { Path = path } }, "ignored", TimeProvider.System, NullLogger.Instance);

        Assert.True(loaded.HasPrivateKey);
        Assert.Equal(certificate.Thumbprint, loaded.Thumbprint);
    }

    [Fact]
    public void Load_PfxWithPassword_Loads()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=pfx.test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var path = Path.Combine(_directory, "cert.pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, "secret"));

        using var loaded = CertificateSource.Load(new SmtpOptions { Certificate = { Path = path, Password = "secret" } }, "ignored", TimeProvider.System, NullLogger.Instance);

        Assert.True(loaded.HasPrivateKey);
        Assert.Equal("CN=pfx.test", loaded.Subject);
    }

    [Fact]
    public void Load_MissingFile_FailsAtStart() =>
        Assert.Throws<InvalidOperationException>(() =>
            CertificateSource.Load(new SmtpOptions { Certificate = { Path = Path.Combine(_directory, "none.pem") } }, "x", TimeProvider.System, NullLogger.Instance));
}
