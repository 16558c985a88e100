using System.Collections.Concurrent;

namespace EmailApi.Accounts;

/// <summary>
/// Checks a presented API key, for both doors (HTTP bearer and SMTP AUTH). Stored keys are cached
/// for a few seconds so a busy sender does not cost a database read per request; a revoked key or
/// a disabled account therefore stops working within <see cref="CacheFor"/>.
/// </summary>
public sealed class ApiKeyAuthenticator(IAccountStore accounts, TimeProvider clock)
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, (StoredKey? Key, DateTimeOffset Until)> _cache = new();

    /// <summary>The key's record when the key is valid, live and its account enabled; otherwise null.</summary>
    public async Task<StoredKey?> AuthenticateAsync(string presented, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(presented) || presented.Length > 512) return null;
        var hash = ApiKey.Hash(presented);
        var (stored, refreshed) = await FindAsync(ApiKey.IdOf(hash), ct);
        if (stored is not { Revoked: false, AccountDisabled: false } key || !ApiKey.Matches(hash, key.Hash)) return null;
        // "Last used" is kept to the minute, written at most once per cache period, never per request.
        if (refreshed) await accounts.TouchKeyAsync(key.Id, ct);
        return key;
    }

    /// <summary>
    /// The record of a key that authenticated earlier (an SMTP session checks it again on every
    /// transaction) when it is still live and its account enabled; otherwise null. Same cache:
    /// a revocation on this node is seen at once, one on another node within <see cref="CacheFor"/>.
    /// </summary>
    public async Task<StoredKey?> StillValidAsync(string keyId, CancellationToken ct)
    {
        var (stored, _) = await FindAsync(keyId, ct);
        return stored is { Revoked: false, AccountDisabled: false } ? stored : null;
    }

    public void Forget(string keyId) => _cache.TryRemove(keyId, out _);

    /// <summary>Drops every cached key of the account, so that disabling it takes effect at once on this node.</summary>
    public void ForgetAccount(string accountId)
    {
        foreach (var (id, entry) in _cache)
            if (entry.Key?.AccountId == accountId) _cache.TryRemove(id, out _);
    }

    private async Task<(StoredKey? Key, bool Refreshed)> FindAsync(string id, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (_cache.TryGetValue(id, out var cached) && cached.Until > now) return (cached.Key, false);
        cached = (await accounts.FindKeyAsync(id, ct), now + CacheFor);
        if (_cache.Count > 10_000) _cache.Clear();
        _cache[id] = cached;
        return (cached.Key, true);
    }
}
