using System.Collections.Concurrent;
using System.Text;
using EmailApi.Domains;
using MimeKit;
using MimeKit.Cryptography;
using Microsoft.Extensions.Options;

namespace EmailApi.Sending;

/// <summary>
/// Signs messages with DKIM (RFC 6376: RSA-SHA256, relaxed/relaxed) for the From domains that have a
/// key, once, at submission, so every retry sends the same signed bytes. Only the signature header
/// is added in front of the message as submitted; the body is never rewritten (MailKit relays a
/// signed message byte for byte). A domain with a key in configuration (<c>Dkim:Domains</c>) is the
/// operator's override; otherwise the From domain (or its closest parent) among the account's
/// verified domains signs with its active keys (d= that domain, so DMARC aligns; an Ed25519 key,
/// RFC 8463, signs beside the RSA key).
/// </summary>
public sealed class DkimSigning(IOptions<DkimOptions> options)
{
    // List-Unsubscribe and List-Unsubscribe-Post are signed when present: RFC 8058 §4 lets receivers honour
    // one-click only when a valid DKIM signature covers both. MimeKit lists in h= only the fields the message has.
    private static readonly string[] SignedHeaders =
    [
        "From", "To", "Cc", "Reply-To", "Subject", "Date", "Message-ID", "In-Reply-To", "References", "MIME-Version", "Content-Type",
        "Content-Transfer-Encoding", "List-Unsubscribe", "List-Unsubscribe-Post",
    ];

    private readonly ConcurrentDictionary<string, DkimSigner> _signers = new(StringComparer.OrdinalIgnoreCase);

    public byte[] Sign(byte[] raw) => Sign(raw, AccountDomains.None);

    public byte[] Sign(byte[] raw, AccountDomains accountDomains)
    {
        if (options.Value.Domains.Count == 0 && accountDomains.Domains.Count == 0) return raw;
        using var input = new MemoryStream(raw, writable: false);
        using var message = MimeMessage.Load(input);   // disposed: MimeKit's entities have finalizers
        var domain = message.From.Mailboxes.FirstOrDefault()?.Domain;
        if (domain is null) return raw;
        IReadOnlyList<DkimSigner> signers = SignerFor(domain) is { } configured
            ? [configured]
            : DomainName.Normalize(domain) is { } ascii && accountDomains.Covering(ascii) is { } verified ? verified.Signers : [];
        if (signers.Count == 0) return raw;

        var headers = new StringBuilder();
        foreach (var signer in signers)
        {
            signer.Sign(message, SignedHeaders);
            // Each signature is taken off again so the next one is computed over the message as submitted.
            var header = message.Headers.First(h => h.Id == HeaderId.DkimSignature);
            message.Headers.Remove(header);
            var folded = (header.Field + ":" + Encoding.ASCII.GetString(header.RawValue)).ReplaceLineEndings("\r\n");
            if (!folded.EndsWith("\r\n", StringComparison.Ordinal)) folded += "\r\n";
            headers.Insert(0, folded);
        }
        return [.. Encoding.ASCII.GetBytes(headers.ToString()), .. raw];
    }

    private DkimSigner? SignerFor(string domain)
    {
        if (!options.Value.Domains.TryGetValue(domain, out var settings)) return null;
        return _signers.GetOrAdd(domain, d => new DkimSigner(settings.PrivateKeyPath, d, settings.Selector, DkimSignatureAlgorithm.RsaSha256)
        {
            HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            AgentOrUserIdentifier = $"@{d}",
        });
    }
}
