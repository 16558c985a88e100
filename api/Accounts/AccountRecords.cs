namespace EmailApi.Accounts;

/// <summary>
/// An account: who sends and is billed. <paramref name="SenderDomains"/> lists the domains its From
/// and envelope sender may use; empty means any.
/// </summary>
public sealed record Account(
    string Id,
    string Name,
    DateTimeOffset CreatedAt,
    bool Disabled,
    AccountLimits Limits,
    IReadOnlyList<string> SenderDomains,
    DateTimeOffset? UpdatedAt);

/// <summary>A stored key as the authenticator needs it: never the key itself, only its hash.</summary>
public sealed record StoredKey(string Id, string AccountId, string Name, byte[] Hash, IReadOnlyList<string> Scopes, bool Revoked, bool AccountDisabled);

public sealed record KeySummary(
    string Id,
    string AccountId,
    string AccountName,
    string Name,
    IReadOnlyList<string> Scopes,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastUsedAt,
    DateTimeOffset? RevokedAt);
