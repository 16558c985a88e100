namespace EmailApi.SmtpBridge;

/// <summary>Who submits: the account, and a name for the log (an API key id or the trusted account's name).</summary>
public sealed record SmtpPrincipal(string AccountId, string Name);
