using System.Net;
using EmailApi.Delivery;
using EmailApi.Mail;
using Microsoft.Extensions.Options;

namespace EmailApi.Domains;

/// <summary>
/// Looks one expected record up in DNS and says what it found. DKIM compares the key (<c>p=</c>),
/// not the text; SPF is evaluated (each public address must pass for the domain, RFC 7208), not
/// string-matched; DMARC needs a <c>v=DMARC1</c> record with a policy; the return path needs an MX
/// (or a CNAME) naming the inbound host. A timeout or SERVFAIL is <see cref="RecordAnswer.Unknown"/>.
/// </summary>
public sealed class RecordChecker(DnsLookup dns, SpfEvaluator spf, IOptions<DeliveryOptions> delivery, IOptions<RelayHostOptions> relayHost, IOptions<DomainsOptions> domains, DomainRecords records)
{
    public async Task<RecordAnswer> CheckAsync(SendingDomain domain, ExpectedRecord record, CancellationToken ct)
    {
        try
        {
            return record.Purpose switch
            {
                RecordPurpose.Dkim => await DkimAsync(record, ct),
                RecordPurpose.Spf => await SpfAsync(record.Name, ct),
                RecordPurpose.Dmarc => await DmarcAsync(record, ct),
                RecordPurpose.ReturnPath => await ReturnPathAsync(record, ct),
                var other => throw new ArgumentOutOfRangeException(nameof(record), other, null),
            };
        }
        catch (DnsUnavailableException ex)
        {
            return new RecordAnswer.Unknown(ex.Message);
        }
    }

    private async Task<RecordAnswer> DkimAsync(ExpectedRecord record, CancellationToken ct)
    {
        var found = await dns.TxtAsync(record.Name, ct);
        if (found.Count == 0) return new RecordAnswer.Missing();
        var expected = record.DkimKey!.PublicKey;
        return found.Any(t => Tag(t, "p") is { } p && p == expected) ? new RecordAnswer.Ok() : new RecordAnswer.Mismatch(found[0]);
    }

    private async Task<RecordAnswer> SpfAsync(string name, CancellationToken ct)
    {
        var found = (await dns.TxtAsync(name, ct)).Where(t => t.StartsWith("v=spf1", StringComparison.OrdinalIgnoreCase)).ToArray();
        if (found.Length == 0) return new RecordAnswer.Missing();
        var addresses = delivery.Value.PublicAddresses.Select(IPAddress.Parse).ToArray();
        if (addresses.Length == 0)
        {
            // Only an include is configured: without addresses there is nothing to evaluate, so the include must be there.
            var include = $"include:{domains.Value.SpfInclude}";
            return found.Length == 1 && found[0].Split(' ').Any(t => t.TrimStart('+').Equals(include, StringComparison.OrdinalIgnoreCase))
                ? new RecordAnswer.Ok()
                : new RecordAnswer.Mismatch($"{string.Join(" | ", found)} (does not contain {include})");
        }
        foreach (var address in addresses)
        {
            var result = await spf.CheckAsync(address, name, $"postmaster@{name}", relayHost.Value.HostName, ct);
            if (result.Verdict == SpfVerdict.TempError) return new RecordAnswer.Unknown(result.Explanation);
            if (result.Verdict != SpfVerdict.Pass)
                return new RecordAnswer.Mismatch($"{string.Join(" | ", found)} (SPF for {address}: {result.Verdict.ToString().ToLowerInvariant()}: {result.Explanation})");
        }
        return new RecordAnswer.Ok();
    }

    private async Task<RecordAnswer> DmarcAsync(ExpectedRecord record, CancellationToken ct)
    {
        var found = (await dns.TxtAsync(record.Name, ct)).ToArray();
        var dmarc = found.Where(t => t.StartsWith("v=DMARC1", StringComparison.OrdinalIgnoreCase)).ToArray();
        if (dmarc.Length == 0) return found.Length == 0 ? new RecordAnswer.Missing() : new RecordAnswer.Mismatch(found[0]);
        // RFC 7489 §6.6.3: exactly one record, and p= is required.
        return dmarc.Length == 1 && Tag(dmarc[0], "p")?.ToLowerInvariant() is "none" or "quarantine" or "reject"
            ? new RecordAnswer.Ok()
            : new RecordAnswer.Mismatch(string.Join(" | ", dmarc));
    }

    private async Task<RecordAnswer> ReturnPathAsync(ExpectedRecord record, CancellationToken ct)
    {
        var host = records.ReturnPathHost;
        var mx = await dns.MxAsync(record.Name, ct);
        if (mx.Any(m => m.Host == host)) return new RecordAnswer.Ok();
        var cname = await dns.CnameAsync(record.Name, ct);
        if (cname.Contains(host)) return new RecordAnswer.Ok();
        if (mx.Count == 0 && cname.Count == 0) return new RecordAnswer.Missing();
        return new RecordAnswer.Mismatch(string.Join(", ", mx.Select(m => $"MX {m.Preference} {m.Host}").Concat(cname.Select(c => $"CNAME {c}"))));
    }

    /// <summary>A tag's value in a <c>tag=value; tag=value</c> list (RFC 6376 §3.2), whitespace removed.</summary>
    internal static string? Tag(string record, string name)
    {
        foreach (var part in record.Split(';'))
        {
            var eq = part.IndexOf('=');
            if (eq > 0 && part[..eq].Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
                return string.Concat(part[(eq + 1)..].Where(c => !char.IsWhiteSpace(c)));
        }
        return null;
    }
}

/// <summary>What DNS said about one record.</summary>
public abstract record RecordAnswer
{
    private RecordAnswer() { }

    public sealed record Ok : RecordAnswer;

    public sealed record Missing : RecordAnswer;

    public sealed record Mismatch(string Found) : RecordAnswer;

    /// <summary>No answer (timeout, SERVFAIL): the record's last known status stands.</summary>
    public sealed record Unknown(string Reason) : RecordAnswer;
}
