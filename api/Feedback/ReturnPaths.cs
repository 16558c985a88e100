using EmailApi.Domains;
using EmailApi.Queue;

namespace EmailApi.Feedback;

/// <summary>
/// Chooses the envelope sender (RFC 5321 MAIL FROM) a recipient's copy leaves with: when the
/// message's sender is in a verified domain of its account, <c>b+TOKEN@&lt;label&gt;.&lt;domain&gt;</c>,
/// so later bounces and complaints come back to the inbound listener and name the recipient, and
/// SPF is checked against the relay's return-path domain, which aligns with From under relaxed
/// DMARC (RFC 7489 §3.1.2). Otherwise the envelope sender stays as submitted (null here); the
/// null reverse-path of our own DSNs is never rewritten (RFC 3464 §2: no bounce of a bounce).
/// </summary>
public sealed class ReturnPaths(DomainSigningKeys domains, DomainRecords records, VerpKeys keys)
{
    public async Task<string?> ForAsync(string accountId, string envelopeFrom, ReturnPathToken token, CancellationToken ct)
    {
        var at = envelopeFrom.LastIndexOf('@');
        if (at <= 0 || at == envelopeFrom.Length - 1) return null;
        var senderDomain = DomainName.Normalize(envelopeFrom[(at + 1)..]);
        if (senderDomain is null) return null;
        var verified = (await domains.ForAccountAsync(accountId, ct)).Covering(senderDomain);
        if (verified is null) return null;
        var codec = await keys.CodecAsync(ct);
        return codec.ReturnPath(token, records.ReturnPathName(verified.Name));
    }
}
