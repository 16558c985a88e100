using System.Collections.Concurrent;
using System.Text;
using MimeKit;
using MimeKit.Cryptography;
using Microsoft.Extensions.Options;

namespace EmailApi.Sending;

/// <summary>
/// Signs messages with DKIM (RFC 6376: RSA-SHA256, relaxed/relaxed) for the From domains that have a
/// key, once, at submission, so every retry sends the same signed bytes. Only the signature header
/// is added in front of the message as submitted; the body is never rewritten (MailKit relays a
/// signed message byte for byte).
/// </summary>
public sealed class DkimSigning(IOptions<DkimOptions> options)
{
    private static readonly HeaderId[] SignedHeaders =
    [
        HeaderId.From, HeaderId.To, HeaderId.Cc, HeaderId.ReplyTo, HeaderId.Subject, HeaderId.Date, HeaderId.MessageId,
        HeaderId.InReplyTo, HeaderId.References, HeaderId.MimeVersion, HeaderId.ContentType, HeaderId.ContentTransferEncoding,
    ];

    private readonly ConcurrentDictionary<string, DkimSigner> _signers = new(StringComparer.OrdinalIgnoreCase);

    public byte[] Sign(byte[] raw)
    {
        if (options.Value.Domains.Count == 0) return raw;
        using var input = new MemoryStream(raw, writable: false);
        using var message = MimeMessage.Load(input);   // disposed: MimeKit's entities have finalizers
        var domain = message.From.Mailboxes.FirstOrDefault()?.Domain;
        if (domain is null || SignerFor(domain) is not { } signer) return raw;

        signer.Sign(message, SignedHeaders);
        var header = message.Headers.First(h => h.Id == HeaderId.DkimSignature);
        var folded = (header.Field + ":" + Encoding.ASCII.GetString(header.RawValue)).ReplaceLineEndings("\r\n");
        if (!folded.EndsWith("\r\n", StringComparison.Ordinal)) folded += "\r\n";
        return [.. Encoding.ASCII.GetBytes(folded), .. raw];
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
