namespace EmailApi.Domains;

/// <summary>
/// <c>Domains:*</c>: how sending domains are checked and enforced. The relay's public addresses
/// (for the SPF record and the HELO check) are <c>Delivery:PublicAddresses</c>; the host the
/// return-path subdomain points at is <c>Inbound:HostName</c>.
/// </summary>
public sealed class DomainsOptions
{
    public const string Section = "Domains";

    /// <summary>
    /// From must be in a verified domain of the account (or its sender domains, or a domain with a
    /// configuration-file DKIM key: the operator's override). The bootstrap account is never held to it.
    /// </summary>
    public bool RequireVerified { get; set; } = true;

    /// <summary>An <c>include:</c> domain for the suggested SPF record (e.g. an ESP's or the operator's own SPF domain).</summary>
    public string? SpfInclude { get; set; }

    /// <summary>The left label of the return-path subdomain (<c>bounces.&lt;domain&gt;</c>).</summary>
    public string ReturnPathLabel { get; set; } = "bounces";

    /// <summary>How often a verified domain's records are checked again.</summary>
    public TimeSpan RecheckInterval { get; set; } = TimeSpan.FromDays(1);

    /// <summary>First re-check of an unverified domain; doubles after each failed check up to <see cref="PendingRecheckMax"/>.</summary>
    public TimeSpan PendingRecheckMin { get; set; } = TimeSpan.FromMinutes(5);

    public TimeSpan PendingRecheckMax { get; set; } = TimeSpan.FromHours(6);

    /// <summary>A domain is checked at most this often on request (<c>POST /v1/domains/{id}/verify</c> answers 429 inside it).</summary>
    public TimeSpan MinVerifyInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>After a rotation, the old key keeps signing nothing but stays published this long so mail in flight still verifies.</summary>
    public TimeSpan RetiringKeyGrace { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often the background job looks for due checks.</summary>
    public TimeSpan WorkerPollInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Timeout of each DNS query a check makes (the servers are <c>Delivery:DnsServers</c>).</summary>
    public TimeSpan DnsTimeout { get; set; } = TimeSpan.FromSeconds(3);

    public int MaxDomainsPerAccount { get; set; } = 100;

    /// <summary>Bound from <c>Inbound:HostName</c>: the host the return-path subdomain's MX names (default <c>Relay:HostName</c>).</summary>
    public string? InboundHostName { get; set; }
}
