using EmailApi.Queue;

namespace EmailApi.Accounts;

/// <summary>Accounts and their API keys, one implementation per storage engine.</summary>
public interface IAccountStore
{
    Task<bool> AnyAccountAsync(CancellationToken ct);

    Task<Account?> FindAccountByNameAsync(string name, CancellationToken ct);

    Task<Account?> FindAccountAsync(string id, CancellationToken ct);

    /// <summary>Accounts in name order, after <paramref name="afterName"/>.</summary>
    Task<IReadOnlyList<Account>> ListAccountsAsync(string? afterName, int limit, CancellationToken ct);

    /// <summary>Creates an account; null when the name is taken.</summary>
    Task<Account?> CreateAccountAsync(string name, AccountLimits limits, IReadOnlyList<string> senderDomains, IReadOnlyList<string> unsubscribeTags, CancellationToken ct);

    /// <summary>Creates an account with <see cref="Account.DefaultUnsubscribeTags"/>; null when the name is taken.</summary>
    Task<Account?> CreateAccountAsync(string name, AccountLimits limits, IReadOnlyList<string> senderDomains, CancellationToken ct) =>
        CreateAccountAsync(name, limits, senderDomains, Account.DefaultUnsubscribeTags, ct);


    Task<AccountUpdate> UpdateAccountAsync(string id, AccountChanges changes, CancellationToken ct);

    /// <summary>Stores a new key's hash; returns the key's id.</summary>
    Task<string> AddKeyAsync(string accountId, string name, byte[] hash, IReadOnlyList<string> scopes, CancellationToken ct);

    Task<StoredKey?> FindKeyAsync(string id, CancellationToken ct);

    /// <summary>Every key, or only the keys of <paramref name="accountId"/>.</summary>
    Task<IReadOnlyList<KeySummary>> ListKeysAsync(string? accountId, CancellationToken ct);

    /// <summary>Revokes a live key (of <paramref name="accountId"/> when given); false when there is none.</summary>
    Task<bool> RevokeKeyAsync(string? accountId, string id, CancellationToken ct);

    /// <summary>Notes that the key was used now; at most one write a minute per key.</summary>
    Task TouchKeyAsync(string id, CancellationToken ct);

    /// <summary>Recipients counted in the account's current minute, hour and month.</summary>
    Task<IReadOnlyDictionary<LimitPeriod, long>> GetUsageAsync(string accountId, CancellationToken ct);
}
