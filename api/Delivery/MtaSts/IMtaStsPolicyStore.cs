namespace EmailApi.Delivery.MtaSts;

/// <summary>
/// The MTA-STS policy cache, in the database so every sender node shares one fetch per policy
/// (RFC 8461 §5.1). One row per policy domain: the policy text as fetched, its TXT id and when it expires.
/// </summary>
public interface IMtaStsPolicyStore
{
    Task<CachedMtaStsPolicy?> FindAsync(string domain, CancellationToken ct);

    /// <summary>Stores or replaces the domain's policy.</summary>
    Task SaveAsync(CachedMtaStsPolicy cached, CancellationToken ct);
}

public sealed record CachedMtaStsPolicy(string Domain, MtaStsPolicy Policy, DateTimeOffset FetchedAt, DateTimeOffset ExpiresAt);
