using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EmailApi.TestKit;

/// <summary>
/// A throwaway root certificate authority: issues server certificates for given names, and writes
/// its root as a PEM file for the service's test-only trust settings. Nothing is installed in any store.
/// </summary>
public sealed class TestCertificateAuthority : IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly X509Certificate2 _root;

    public TestCertificateAuthority()
    {
        var request = new CertificateRequest("CN=EmailApi Test Root", _key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        _root = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        RootFile = Path.Combine(Path.GetTempPath(), $"emailapi-test-root-{Guid.NewGuid():N}.pem");
        File.WriteAllText(RootFile, _root.ExportCertificatePem());
    }

    /// <summary>The root certificate as PEM, to trust through a test-only setting.</summary>
    public string RootFile { get; }

    /// <summary>A server certificate for <paramref name="names"/>, with its private key, signed by this root.</summary>
    public X509Certificate2 Issue(params string[] names)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={names[0]}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names) san.AddDnsName(name);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var serial = RandomNumberGenerator.GetBytes(12);
        using var issued = request.Create(_root, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), serial);
        using var withKey = issued.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pfx), null);
    }

    public void Dispose()
    {
        _root.Dispose();
        _key.Dispose();
        File.Delete(RootFile);
    }
}
