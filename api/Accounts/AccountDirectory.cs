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

    private readonly ConcurrentDictionary<string, (Account? Account, DateTimeOffset Until)> _cache = new();

    public async Task<Account?> FindAsync(string accountId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (_cache.TryGetValue(accountId, out var cached) && cached.Until > now) return cached.Account;
        var account = await accounts.FindAccountAsync(accountId, ct);
        if (_cache.Count > 10_000) _cache.Clear();
        _cache[accountId] = (account, now + CacheFor);
        return account;
    }

    public void Forget(string accountId) => _cache.TryRemove(accountId, out _);
}
