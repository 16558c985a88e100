namespace EmailApi.Domains;

/// <summary>
/// Sending domains, their DKIM keys and their events, on SQLite or PostgreSQL. A domain name is
/// unique across all accounts: creating a taken name answers <see cref="DomainCreate.NameTaken"/>
/// with the owner, never an exception. Account-scoped reads take the account id, so one account
/// cannot reach another's domain by its id.
/// </summary>
public interface IDomainStore
{
    Task<DomainCreate> CreateAsync(SendingDomain domain, IReadOnlyList<DomainKey> keys, CancellationToken ct);

    /// <summary>A domain by id; <paramref name="accountId"/> null means any account (admin).</summary>
    Task<SendingDomain?> FindAsync(string id, string? accountId, CancellationToken ct);

    /// <summary>The domains of one account, or of all accounts when <paramref name="accountId"/> is null, by name.</summary>
    Task<IReadOnlyList<SendingDomain>> ListAsync(string? accountId, CancellationToken ct);

    /// <summary>Whether a domain of this name exists (any account, any status): the inbound listener takes mail for its return-path subdomain.</summary>
    Task<bool> ExistsAsync(string name, CancellationToken ct);

    Task<int> CountAsync(string accountId, CancellationToken ct);

    Task<IReadOnlyList<DomainKey>> KeysAsync(string domainId, CancellationToken ct);

    Task AddKeyAsync(DomainKey key, CancellationToken ct);

    /// <summary>Deletes the domain and its keys; false when the account has no such domain.</summary>
    Task<bool> DeleteAsync(string id, string? accountId, CancellationToken ct);

    /// <summary>
    /// Takes the turn to check a domain now: true only when it was not checked after
    /// <paramref name="notCheckedSince"/>, so concurrent requests (on any node) check it once.
    /// </summary>
    Task<bool> TryClaimCheckAsync(string id, DateTimeOffset now, DateTimeOffset notCheckedSince, CancellationToken ct);

    /// <summary>Writes a check's result, the keys it changed, the keys it dropped and its events, in one transaction.</summary>
    Task SaveCheckAsync(SendingDomain domain, IReadOnlyList<DomainKey> changedKeys, IReadOnlyList<string> droppedKeyIds,
        IReadOnlyList<DomainEvent> events, CancellationToken ct);

    /// <summary>Domains whose next check is due.</summary>
    Task<IReadOnlyList<SendingDomain>> DueAsync(DateTimeOffset now, int limit, CancellationToken ct);

    /// <summary>The verified domains of an account with their active keys (for signing and the From rule).</summary>
    Task<IReadOnlyList<VerifiedDomain>> VerifiedAsync(string accountId, CancellationToken ct);

    /// <summary>An account's domain events in order, optionally of one domain.</summary>
    Task<IReadOnlyList<DomainEvent>> EventsAsync(string accountId, string? domainId, long afterId, int limit, CancellationToken ct);
}

public sealed record VerifiedDomain(string Name, IReadOnlyList<DomainKey> ActiveKeys);

public abstract record DomainCreate
{
    private DomainCreate() { }

    public sealed record Created(SendingDomain Domain) : DomainCreate;

    /// <summary>The name is taken, by this account (<paramref name="SameAccount"/>) or by another.</summary>
    public sealed record NameTaken(bool SameAccount) : DomainCreate;
}
