using Microsoft.Extensions.Options;

namespace EmailApi.Accounts;

/// <summary>
/// On the first start with an empty database: creates the <c>default</c> account and one key with
/// every scope, and prints the key once, so a newcomer can send at once.
/// </summary>
public sealed class AccountBootstrapper(IAccountStore accounts, IOptions<BootstrapOptions> options, ILogger<AccountBootstrapper> log)
{
    public async Task RunAsync(CancellationToken ct)
    {
        if (await accounts.AnyAccountAsync(ct)) return;
        var settings = options.Value;
        var key = string.IsNullOrWhiteSpace(settings.ApiKey) ? ApiKey.Generate() : settings.ApiKey.Trim();
        var account = await accounts.CreateAccountAsync(settings.AccountName, new AccountLimits(settings.MonthlyQuota, null, null), [], ct)
            ?? throw new InvalidOperationException($"The account '{settings.AccountName}' exists but the database said it had no accounts.");
        var id = await accounts.AddKeyAsync(account.Id, "bootstrap", ApiKey.Hash(key), Scopes.All, ct);
        log.LogInformation("Created account {Account} with API key {KeyId}", account.Name, id);
        if (string.IsNullOrWhiteSpace(settings.ApiKey))
        {
            // Printed once, never stored in clear: the operator has to copy it now.
            Console.WriteLine($"""

                ==> Created account '{account.Name}'. Its API key (shown only once, store it now):
                    {key}
                    curl -H 'Authorization: Bearer {key}' ...

                """);
        }
    }
}
