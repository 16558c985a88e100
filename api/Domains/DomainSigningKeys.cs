using System.Collections.Concurrent;
using MimeKit.Cryptography;

namespace EmailApi.Domains;

/// <summary>
/// Each account's verified domains with signers for their active keys, read once and kept for a
/// short while (submissions are many, domains change rarely). A check on this node drops the
/// account's entry at once; a change made on another node is seen within <see cref="Lifetime"/>,
/// and a rotated-out key stays published long past that, so mail signed meanwhile still verifies.
/// </summary>
public sealed class DomainSigningKeys(IDomainStore store, DkimKeyFactory factory, TimeProvider clock)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<string, AccountDomains> _cache = new(StringComparer.Ordinal);

    public async Task<AccountDomains> ForAccountAsync(string accountId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (_cache.TryGetValue(accountId, out var cached) && cached.ReadAt + Lifetime > now) return cached;
        var verified = await store.VerifiedAsync(accountId, ct);
        var entry = new AccountDomains(now, verified.Select(d => new SigningDomain(d.Name,
            d.ActiveKeys.OrderBy(k => k.Algorithm == DkimAlgorithm.Ed25519).Select(k => factory.Signer(k, d.Name)).ToArray())).ToArray());
        _cache[accountId] = entry;
        return entry;
    }

    public void Invalidate(string accountId) => _cache.TryRemove(accountId, out _);
}

/// <summary>An account's verified domains, each with the signers of its active keys (RSA first).</summary>
public sealed record AccountDomains(DateTimeOffset ReadAt, IReadOnlyList<SigningDomain> Domains)
{
    public static readonly AccountDomains None = new(DateTimeOffset.MinValue, []);

    /// <summary>The verified domain that is <paramref name="domain"/> (an A-label) or its closest parent.</summary>
    public SigningDomain? Covering(string domain) =>
        Domains.Where(d => DomainName.IsSameOrParent(d.Name, domain)).MaxBy(d => d.Name.Length);
}

public sealed record SigningDomain(string Name, IReadOnlyList<DkimSigner> Signers);
