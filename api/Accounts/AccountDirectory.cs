using System.Collections.Concurrent;

namespace EmailApi.Accounts;

/// <summary>
/// The account behind each submission (sender domains, limits, disabled), cached for a few seconds
/// like keys are, so a busy sender costs no extra read per message. Changes made through this node
/// take effect at once (<see cref="Forget"/>); other nodes see them within <see cref="CacheFor"/>.
/// The enqueue transaction counts usage against the limits given here.
/// </summary>
public sealed class AccountDirectory(IAccountStore accounts, TimeProvider clock)
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, (Account? Account, DateTimeOffset Until)> _byId = new();
    private readonly ConcurrentDictionary<string, (Account? Account, DateTimeOffset Until)> _byName = new();

    public Task<Account?> FindAsync(string accountId, CancellationToken ct) => FindAsync(_byId, accountId, accounts.FindAccountAsync, ct);

    /// <summary>By name: the account a trusted SMTP network submits as, wanted once per connection.</summary>
    public Task<Account?> FindByNameAsync(string name, CancellationToken ct) => FindAsync(_byName, name, accounts.FindAccountByNameAsync, ct);

    public void Forget(string accountId)
    {
        _byId.TryRemove(accountId, out _);
        foreach (var (name, entry) in _byName)
            if (entry.Account?.Id == accountId) _byName.TryRemove(name, out _);
    }

    private async Task<Account?> FindAsync(ConcurrentDictionary<string, (Account? Account, DateTimeOffset Until)> cache, string key,
        Func<string, CancellationToken, Task<Account?>> load, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (cache.TryGetValue(key, out var cached) && cached.Until > now) return cached.Account;
        var account = await load(key, ct);
        if (cache.Count > 10_000) cache.Clear();
        cache[key] = (account, now + CacheFor);
        return account;
    }
}
