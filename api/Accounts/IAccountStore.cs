namespace EmailApi.Accounts;

/// <summary>Accounts and their API keys, one implementation per storage engine.</summary>
public interface IAccountStore
{
    Task<bool> AnyAccountAsync(CancellationToken ct);

    Task<Account?> FindAccountByNameAsync(string name, CancellationToken ct);

    Task<Account> CreateAccountAsync(string name, CancellationToken ct);

    /// <summary>Stores a new key's hash; returns the key's id.</summary>
    Task<string> AddKeyAsync(string accountId, string name, byte[] hash, IReadOnlyList<string> scopes, CancellationToken ct);

    Task<StoredKey?> FindKeyAsync(string id, CancellationToken ct);

    Task<IReadOnlyList<KeySummary>> ListKeysAsync(CancellationToken ct);

    Task<bool> RevokeKeyAsync(string id, CancellationToken ct);
}
