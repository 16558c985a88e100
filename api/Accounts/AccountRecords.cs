namespace EmailApi.Accounts;

public sealed record Account(string Id, string Name, DateTimeOffset CreatedAt, bool Disabled);

/// <summary>A stored key as the authenticator needs it: never the key itself, only its hash.</summary>
public sealed record StoredKey(string Id, string AccountId, string Name, byte[] Hash, IReadOnlyList<string> Scopes, bool Revoked, bool AccountDisabled);

public sealed record KeySummary(string Id, string AccountName, string Name, IReadOnlyList<string> Scopes, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);
