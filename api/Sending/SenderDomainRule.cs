using EmailApi.Accounts;
using EmailApi.Domains;
using Microsoft.Extensions.Options;
using MimeKit;

namespace EmailApi.Sending;

/// <summary>
/// <c>Domains:RequireVerified</c>: every From address must be in a verified domain of the account
/// (the domain itself or a subdomain of it), so what leaves is signed with d= an aligned domain
/// (DMARC, RFC 7489 §3.1). The operator's overrides pass too: the account's sender domains
/// (set by an admin) and the domains with a DKIM key in configuration. The bootstrap account (the
/// operator's own) is never held to it.
/// </summary>
public sealed class SenderDomainRule(DomainSigningKeys signing, IDomainStore domains, IOptions<DomainsOptions> options,
    IOptions<BootstrapOptions> bootstrap, IOptions<DkimOptions> dkim)
{
    public Task<AccountDomains> DomainsOfAsync(string accountId, CancellationToken ct) => signing.ForAccountAsync(accountId, ct);

    public async Task<Submitted.Rejected?> CheckAsync(Submission submission, Account account, AccountDomains verified, CancellationToken ct)
    {
        if (!options.Value.RequireVerified || account.Name == bootstrap.Value.AccountName) return null;
        var senders = new List<string>();
        if (!string.IsNullOrWhiteSpace(submission.HeaderFrom) && InternetAddressList.TryParse(submission.HeaderFrom, out var from))
            senders.AddRange(from.Mailboxes.Select(m => m.Address));
        else if (submission.EnvelopeFrom.Length > 0)
            senders.Add(submission.EnvelopeFrom);
        foreach (var sender in senders)
        {
            var domain = sender[(sender.LastIndexOf('@') + 1)..];
            var ascii = DomainName.Normalize(domain) ?? domain.ToLowerInvariant();
            if (verified.Covering(ascii) is not null) continue;
            if (account.SenderDomains.Contains(domain, StringComparer.OrdinalIgnoreCase) || dkim.Value.Domains.ContainsKey(domain)) continue;
            return new Submitted.Rejected(RejectionKind.DomainNotVerified, await ExplainAsync(account.Id, ascii, ct));
        }
        return null;
    }

    // Rare path: only a refused message pays for the lookup that says what to publish.
    private async Task<string> ExplainAsync(string accountId, string domain, CancellationToken ct)
    {
        var pending = (await domains.ListAsync(accountId, ct)).FirstOrDefault(d => DomainName.IsSameOrParent(d.Name, domain));
        if (pending is null)
            return $"The From domain '{domain}' is not a verified domain of this account. Add it with POST /v1/domains {{\"name\":\"{domain}\"}}, " +
                   "publish the DKIM TXT record the answer lists, then POST /v1/domains/{id}/verify.";
        var keys = await domains.KeysAsync(pending.Id, ct);
        var records = string.Join("; ", keys.Where(k => k.State != KeyState.Retiring).Select(k => $"TXT {k.Selector}._domainkey.{pending.Name}"));
        return $"The From domain '{domain}' is not verified yet ({pending.Name} is {pending.Status.ToString().ToLowerInvariant()}). " +
               $"Publish {records} as listed by GET /v1/domains/{pending.Id}, then POST /v1/domains/{pending.Id}/verify.";
    }
}
