using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;

namespace EmailApi.Delivery.MtaSts;

/// <summary>
/// The certificate rule of RFC 8461 §4.2 (and §3.3 for the policy host): a chain to a trusted root,
/// unexpired, and a name matching the host dialled. The name is checked by the TLS stack against the
/// host name given to it; this adds the extra roots of <c>Delivery:MtaSts:TrustedRootsFile</c> (tests).
/// </summary>
public sealed class CertificateCheck
{
    private readonly X509Certificate2Collection _extraRoots = [];

    public CertificateCheck(IOptions<MtaStsOptions> options)
    {
        if (options.Value.TrustedRootsFile is { Length: > 0 } file) _extraRoots.ImportFromPemFile(file);
    }

    /// <summary>The RFC 8460 §4.3 result type of a failure, or null when the certificate is valid for the host.</summary>
    public string? Failure(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable)) return "certificate-not-trusted";
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch)) return "certificate-host-mismatch";
        if (errors == SslPolicyErrors.None) return null;
        if (_extraRoots.Count == 0) return Expired(chain?.ChainStatus ?? []) ? "certificate-expired" : "certificate-not-trusted";

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_extraRoots);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
            foreach (var element in chain.ChainElements)
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
        using var leaf = new X509Certificate2(certificate);
        if (custom.Build(leaf)) return null;
        return Expired(custom.ChainStatus) ? "certificate-expired" : "certificate-not-trusted";
    }

    public bool IsValid(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors) => Failure(certificate, chain, errors) is null;

    private static bool Expired(X509ChainStatus[] status) => status.Any(s => s.Status.HasFlag(X509ChainStatusFlags.NotTimeValid));
}
