using EmailApi.Delivery;
using EmailApi.Mail;
using Microsoft.Extensions.Options;

namespace EmailApi.Domains;

/// <summary>
/// The DNS records a sending domain should publish, worked out from its keys and the relay's
/// settings: one DKIM TXT per key that is not yet gone, SPF (the relay's public addresses and/or the
/// configured include), DMARC (<c>p=none</c> to start, reports to the user's <c>rua</c>) and the
/// return-path subdomain's MX (to the relay's inbound host) and SPF.
/// </summary>
public sealed class DomainRecords(IOptions<DomainsOptions> domains, IOptions<DeliveryOptions> delivery, IOptions<RelayHostOptions> relayHost)
{
    public IReadOnlyList<ExpectedRecord> For(SendingDomain domain, IReadOnlyList<DomainKey> keys)
    {
        var records = new List<ExpectedRecord>();
        foreach (var key in keys)
            records.Add(new ExpectedRecord($"dkim:{key.Selector}", RecordPurpose.Dkim, $"{key.Selector}._domainkey.{domain.Name}", "TXT",
                DkimKeyFactory.RecordValue(key), key));
        if (SpfValue() is { } spf)
            records.Add(new ExpectedRecord("spf", RecordPurpose.Spf, domain.Name, "TXT", spf, null));
        var rua = domain.DmarcRua ?? $"mailto:dmarc-reports@{domain.Name}";
        records.Add(new ExpectedRecord("dmarc", RecordPurpose.Dmarc, $"_dmarc.{domain.Name}", "TXT", $"v=DMARC1; p=none; rua={rua}", null));
        records.Add(new ExpectedRecord("returnPath", RecordPurpose.ReturnPath, ReturnPathName(domain.Name), "MX", $"10 {ReturnPathHost}", null));
        // Mail leaves with MAIL FROM at the return-path subdomain (VERP, api/Feedback), and SPF is checked for
        // that name (RFC 7208 §2.4): it needs the relay's SPF record too, which aligns under relaxed DMARC.
        if (SpfValue() is { } returnPathSpf)
            records.Add(new ExpectedRecord("returnPathSpf", RecordPurpose.Spf, ReturnPathName(domain.Name), "TXT", returnPathSpf, null));
        return records;
    }

    public string ReturnPathHost => (domains.Value.InboundHostName ?? relayHost.Value.HostName).TrimEnd('.').ToLowerInvariant();

    public string ReturnPathName(string domain) => $"{domains.Value.ReturnPathLabel}.{domain}";

    /// <summary>The SPF record to suggest; null when the relay knows neither its addresses nor an include.</summary>
    public string? SpfValue()
    {
        var terms = new List<string> { "v=spf1" };
        foreach (var address in delivery.Value.PublicAddresses)
            terms.Add((address.Contains(':') ? "ip6:" : "ip4:") + address);
        if (!string.IsNullOrWhiteSpace(domains.Value.SpfInclude)) terms.Add($"include:{domains.Value.SpfInclude}");
        if (terms.Count == 1) return null;
        terms.Add("~all");
        return string.Join(' ', terms);
    }
}

public enum RecordPurpose { Dkim, Spf, Dmarc, ReturnPath }

/// <summary>A record to publish; <paramref name="Key"/> names it in the stored checks; <paramref name="DkimKey"/> for DKIM records.</summary>
public sealed record ExpectedRecord(string Key, RecordPurpose Purpose, string Name, string Type, string Value, DomainKey? DkimKey);
