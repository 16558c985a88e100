using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.OpenSsl;
using Org.BouncyCastle.Security;

namespace EmailApi.Domains;

/// <summary>
/// Makes DKIM key pairs and seals their private halves with ASP.NET Core Data Protection (the key
/// ring lives beside the SQLite file, or in the database for PostgreSQL nodes, so every node can
/// open what another sealed). The public half is what goes in the TXT record's <c>p=</c>: the
/// SubjectPublicKeyInfo for RSA (RFC 6376 §3.6.1), the raw 32 bytes for Ed25519 (RFC 8463 §4.2).
/// </summary>
public sealed class DkimKeyFactory(IDataProtectionProvider protection, TimeProvider clock)
{
    private const string Purpose = "EmailApi.Domains.DkimPrivateKey.v1";
    private readonly IDataProtector _protector = protection.CreateProtector(Purpose);

    /// <summary>A new pending key with a fresh selector (<c>ea</c> + date + random, so rotations never collide).</summary>
    public DomainKey Create(string domainId, DkimAlgorithm algorithm)
    {
        var now = clock.GetUtcNow();
        var selector = $"ea{now:yyyyMMdd}{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}{(algorithm == DkimAlgorithm.Ed25519 ? "e" : "")}";
        string publicKey, privateKey;
        if (algorithm == DkimAlgorithm.Ed25519)
        {
            var generator = new Ed25519KeyPairGenerator();
            generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
            var pair = generator.GenerateKeyPair();
            publicKey = Convert.ToBase64String(((Ed25519PublicKeyParameters)pair.Public).GetEncoded());
            privateKey = Convert.ToBase64String(((Ed25519PrivateKeyParameters)pair.Private).GetEncoded());
        }
        else
        {
            using var rsa = RSA.Create(algorithm == DkimAlgorithm.Rsa1024 ? 1024 : 2048);
            publicKey = Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo());
            privateKey = rsa.ExportRSAPrivateKeyPem();
        }
        return new DomainKey($"dkey_{Guid.CreateVersion7(now):N}", domainId, selector, algorithm, publicKey,
            _protector.Protect(privateKey), KeyState.Pending, now, null, null);
    }

    /// <summary>A MimeKit signer for <paramref name="key"/>, d= <paramref name="domain"/>; relaxed/relaxed.</summary>
    public DkimSigner Signer(DomainKey key, string domain)
    {
        var secret = _protector.Unprotect(key.PrivateKey);
        var signer = key.Algorithm == DkimAlgorithm.Ed25519
            ? new DkimSigner(new Ed25519PrivateKeyParameters(Convert.FromBase64String(secret)), domain, key.Selector, DkimSignatureAlgorithm.Ed25519Sha256)
            : new DkimSigner(RsaKey(secret), domain, key.Selector, DkimSignatureAlgorithm.RsaSha256);
        signer.HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed;
        signer.BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed;
        return signer;
    }

    /// <summary>The TXT value to publish at <c>selector._domainkey.domain</c>.</summary>
    public static string RecordValue(DomainKey key) =>
        $"v=DKIM1; k={(key.Algorithm == DkimAlgorithm.Ed25519 ? "ed25519" : "rsa")}; p={key.PublicKey}";

    private static Org.BouncyCastle.Crypto.AsymmetricKeyParameter RsaKey(string pem)
    {
        using var reader = new StringReader(pem);
        var read = new PemReader(reader).ReadObject();
        return read switch
        {
            Org.BouncyCastle.Crypto.AsymmetricCipherKeyPair pair => pair.Private,
            Org.BouncyCastle.Crypto.AsymmetricKeyParameter key => key,
            _ => throw new InvalidOperationException("The stored DKIM key is not an RSA private key."),
        };
    }
}
