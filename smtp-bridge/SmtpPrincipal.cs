namespace EmailApi.SmtpBridge;

/// <summary>
/// Who submits: the account, a name for the log (an API key id or the trusted account's name),
/// and the key that authenticated, which each later transaction checks again (null for a trusted network).
/// </summary>
public sealed record SmtpPrincipal(string AccountId, string Name, string? KeyId = null);
