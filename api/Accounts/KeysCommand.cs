namespace EmailApi.Accounts;

/// <summary>
/// The operator's command line: <c>keys create --account NAME [--name LABEL] [--scopes send,read]</c>,
/// <c>keys list [--account NAME]</c>, <c>keys revoke ID</c>. Creating a key for an account that does
/// not exist yet creates the account (with <c>Accounts:DefaultMonthlyQuota</c>). The key is printed
/// once and never stored in clear.
/// </summary>
public static class KeysCommand
{
    public const string Usage = """
        usage: EmailApi keys create --account NAME [--name LABEL] [--scopes send,read,admin]
               EmailApi keys list [--account NAME]
               EmailApi keys revoke KEY_ID
        """;

    public static bool Matches(string[] args) => args.Length > 0 && args[0] == "keys";

    public static Task<int> RunAsync(string[] args, IAccountStore accounts, TextWriter output, CancellationToken ct) =>
        RunAsync(args, accounts, new AccountsOptions(), output, ct);

    public static async Task<int> RunAsync(string[] args, IAccountStore accounts, AccountsOptions defaults, TextWriter output, CancellationToken ct)
    {
        switch (args.Skip(1).FirstOrDefault())
        {
            case "create":
                var accountName = Option(args, "--account");
                if (string.IsNullOrWhiteSpace(accountName)) return Fail(output, "keys create needs --account NAME");
                var scopes = (Option(args, "--scopes") ?? string.Join(',', Scopes.Default)).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (scopes.Length == 0 || scopes.Any(s => !Scopes.All.Contains(s)))
                    return Fail(output, $"scopes must be among {string.Join(", ", Scopes.All)}");
                var account = await accounts.FindAccountByNameAsync(accountName, ct)
                    ?? await accounts.CreateAccountAsync(accountName, new AccountLimits(defaults.DefaultMonthlyQuota, null, null), [], ct)
                    ?? await accounts.FindAccountByNameAsync(accountName, ct);   // created meanwhile by another process
                if (account is null) return Fail(output, $"could not create account '{accountName}'");
                var key = ApiKey.Generate();
                var id = await accounts.AddKeyAsync(account.Id, Option(args, "--name") ?? "cli", ApiKey.Hash(key), scopes, ct);
                await output.WriteLineAsync($"Created key {id} for account '{account.Name}' with scopes {string.Join(',', scopes)}.");
                await output.WriteLineAsync("The key is shown only this once:");
                await output.WriteLineAsync(key);
                return 0;

            case "list":
                await output.WriteLineAsync($"{"ID",-18} {"ACCOUNT",-20} {"NAME",-16} {"SCOPES",-18} {"CREATED",-20} STATUS");
                var only = Option(args, "--account");
                foreach (var k in await accounts.ListKeysAsync(null, ct))
                {
                    if (only is not null && k.AccountName != only) continue;
                    await output.WriteLineAsync(
                        $"{k.Id,-18} {k.AccountName,-20} {k.Name,-16} {string.Join(',', k.Scopes),-18} {k.CreatedAt:yyyy-MM-dd HH:mm:ss}  {(k.RevokedAt is null ? "active" : "revoked")}");
                }
                return 0;

            case "revoke":
                var keyId = args.Skip(2).FirstOrDefault();
                if (string.IsNullOrWhiteSpace(keyId)) return Fail(output, "keys revoke needs a KEY_ID (see keys list)");
                if (!await accounts.RevokeKeyAsync(null, keyId, ct)) return Fail(output, $"no active key with id {keyId}");
                await output.WriteLineAsync($"Revoked key {keyId}. Running servers stop accepting it within {ApiKeyAuthenticator.CacheFor.TotalSeconds:0} seconds.");
                return 0;

            default:
                return Fail(output, "unknown keys command");
        }
    }

    private static string? Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }

    private static int Fail(TextWriter output, string message)
    {
        output.WriteLine($"error: {message}");
        output.WriteLine(Usage);
        return 2;
    }
}
