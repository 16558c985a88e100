namespace EmailApi.Accounts;

/// <summary>
/// An account: who sends and is billed. <paramref name="SenderDomains"/> lists the domains its From
/// and envelope sender may use; empty means any. A JSON-sent message carrying any of
/// <paramref name="UnsubscribeTags"/> gets one-click unsubscribe unless the request says <c>"unsubscribe": false</c>.
/// </summary>
public sealed record Account(
    string Id,
    string Name,
    DateTimeOffset CreatedAt,
    bool Disabled,
    AccountLimits Limits,
    IReadOnlyList<string> SenderDomains,
    DateTimeOffset? UpdatedAt,
    IReadOnlyList<string> UnsubscribeTags)
{
    /// <summary>
    /// What a new account starts with: like Postmark's broadcast stream, a message tagged
    /// <c>broadcast</c> is bulk mail, which Gmail and Yahoo require to carry one-click unsubscribe
    /// (RFC 8058) since 2024. Accounts that existed before the setting keep an empty list.
    /// </summary>
    public static IReadOnlyList<string> DefaultUnsubscribeTags { get; } = ["broadcast"];

    /// <summary>Whether the account's default adds unsubscribe to a message with these tags.</summary>
    public string? UnsubscribeTagIn(IReadOnlyList<string>? tags) =>
        tags?.FirstOrDefault(t => UnsubscribeTags.Contains(t, StringComparer.Ordinal));
}

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
