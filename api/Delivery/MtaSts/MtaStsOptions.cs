namespace EmailApi.Delivery.MtaSts;

public sealed class MtaStsOptions
{
    public const string Section = "Delivery:MtaSts";

    /// <summary>Look up and apply the MTA-STS policies of destination domains (RFC 8461). Not used through a smart host.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>RFC 8461 §3.3: a policy fetch taking longer than this (at most 60 seconds is suggested) fails.</summary>
    public TimeSpan FetchTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Let policy fetches reach private, loopback and other special-purpose addresses. Off in
    /// production: the policy host's name comes from DNS, which a hostile domain controls (SSRF).
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>Test only: the port policy hosts are fetched from (RFC 8461 §3.3 says HTTPS, i.e. 443).</summary>
    public int PolicyPort { get; set; } = 443;

    /// <summary>
    /// Test only: a PEM file of extra root certificates trusted for policy hosts and, under a policy,
    /// for MX hosts. Empty means the system's roots only.
    /// </summary>
    public string? TrustedRootsFile { get; set; }
}
