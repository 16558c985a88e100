using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace EmailApi.SmtpBridge.Transport;

/// <summary>
/// The TLS certificate: the configured PFX or PEM file, or else a self-signed one generated once
/// into the data folder and reused on every start, so clients that pin it keep working.
/// </summary>
internal static class CertificateSource
{
    public const string SelfSignedFileName = "smtp-tls-selfsigned.pfx";

    public static X509Certificate2 Load(SmtpOptions options, string serverName, TimeProvider clock, ILogger log)
    {
        var configured = options.Certificate;
        if (!string.IsNullOrWhiteSpace(configured.Path))
            return LoadConfigured(configured.Path, configured.KeyPath, configured.Password);
        var directory = string.IsNullOrWhiteSpace(options.DataDirectory) ? "data" : options.DataDirectory;
        return LoadOrCreateSelfSigned(Path.Combine(directory, SelfSignedFileName), serverName, clock, log);
    }

    /// <summary>
    /// The certificates to send after the leaf: every other certificate in the configured PEM file
    /// (the usual fullchain.pem) or PFX. Without them a client that verifies the chain and knows
    /// only the root fails ("unable to get local issuer certificate"; RFC 8446 §4.4.2: the sender's
    /// certificate comes first, then the ones that certify it). None for a self-signed certificate.
    /// </summary>
    public static X509Certificate2Collection LoadIntermediates(SmtpOptions options, X509Certificate2 leaf)
    {
        var path = options.Certificate.Path;
        if (string.IsNullOrWhiteSpace(path)) return [];
        var all = new X509Certificate2Collection();
        if (File.ReadAllBytes(path).AsSpan().IndexOf("-----BEGIN"u8) >= 0) all.ImportFromPemFile(path);
        else all = X509CertificateLoader.LoadPkcs12CollectionFromFile(path, options.Certificate.Password);
        var others = new X509Certificate2Collection();
        foreach (var certificate in all)
        {
            if (certificate.Thumbprint == leaf.Thumbprint) certificate.Dispose();
            else others.Add(certificate);
        }
        return others;
    }

    private static X509Certificate2 LoadConfigured(string path, string? keyPath, string? password)
    {
        if (!File.Exists(path)) throw new InvalidOperationException($"Smtp:Certificate:Path: '{path}' does not exist.");
        var head = File.ReadAllBytes(path).AsSpan();
        var isPem = head.IndexOf("-----BEGIN"u8) >= 0;
        if (!isPem) return X509CertificateLoader.LoadPkcs12FromFile(path, password);

        using var pem = string.IsNullOrEmpty(password)
            ? X509Certificate2.CreateFromPemFile(path, keyPath)
            : X509Certificate2.CreateFromEncryptedPemFile(path, password, keyPath);
        if (!pem.HasPrivateKey) throw new InvalidOperationException($"Smtp:Certificate: no private key in '{keyPath ?? path}'.");
        // A PEM key is ephemeral; SslStream wants a key it can use on every platform, so go through PKCS#12.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    private static X509Certificate2 LoadOrCreateSelfSigned(string path, string serverName, TimeProvider clock, ILogger log)
    {
        var now = clock.GetUtcNow();
        if (File.Exists(path))
        {
            var existing = X509CertificateLoader.LoadPkcs12FromFile(path, null);
            if (existing.NotAfter.ToUniversalTime() > now.UtcDateTime.AddDays(1)) return existing;
            existing.Dispose();
            log.LogWarning("The self-signed SMTP certificate in {Path} has expired; generating a new one", path);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var pfx = CreateSelfSigned(serverName, now);
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(temp, pfx);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        try
        {
            File.Move(temp, path, overwrite: File.Exists(path));
            log.LogInformation("Generated a self-signed SMTP certificate for {Name} in {Path}; set Smtp:Certificate:Path for a real one", serverName, path);
        }
        catch (IOException)
        {
            // Another process created it first: use that one, so all agree.
            File.Delete(temp);
        }
        return X509CertificateLoader.LoadPkcs12FromFile(path, null);
    }

    private static byte[] CreateSelfSigned(string serverName, DateTimeOffset now)
    {
        // RSA rather than ECDSA: the old printers and mailers this bridge exists for may know nothing else.
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={serverName}"), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(serverName);
        if (serverName != "localhost") names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));   // server authentication
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(5));
        return certificate.Export(X509ContentType.Pkcs12);
    }
}
