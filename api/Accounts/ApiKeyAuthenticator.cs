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
        var id = ApiKey.IdOf(hash);
        var now = clock.GetUtcNow();
        var refreshed = false;
        if (!_cache.TryGetValue(id, out var cached) || cached.Until <= now)
        {
            cached = (await accounts.FindKeyAsync(id, ct), now + CacheFor);
            if (_cache.Count > 10_000) _cache.Clear();
            _cache[id] = cached;
            refreshed = true;
        }
        if (cached.Key is not { Revoked: false, AccountDisabled: false } key || !ApiKey.Matches(hash, key.Hash)) return null;
        // "Last used" is kept to the minute, written at most once per cache period, never per request.
        if (refreshed) await accounts.TouchKeyAsync(key.Id, ct);
        return key;
    }

    public void Forget(string keyId) => _cache.TryRemove(keyId, out _);

    /// <summary>Drops every cached key of the account, so that disabling it takes effect at once on this node.</summary>
    public void ForgetAccount(string accountId)
    {
        foreach (var (id, entry) in _cache)
            if (entry.Key?.AccountId == accountId) _cache.TryRemove(id, out _);
    }
}
