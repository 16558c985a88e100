using System.Text.Json;
using EmailApi.Accounts;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace EmailApi.WebConsole.Pages;

/// <summary>The operator's accounts (admin scope): create, edit limits, disable, and view the console as one of them.</summary>
[Authorize(Policy = ConsoleRegistration.AdminPolicy)]
public sealed class AccountsModel(IAccountStore store, AccountDirectory directory, ApiKeyAuthenticator keys, IOptions<AccountsOptions> options,
    TimeProvider clock) : ConsolePage
{
    [BindProperty(SupportsGet = true)] public string? After { get; set; }

    public IReadOnlyList<AccountResponse> Accounts { get; private set; } = [];
    public string? Next { get; private set; }

    public Task OnGetAsync(CancellationToken ct) => LoadAsync(ct);

    public async Task OnPostCreateAsync(string? name, string? monthlyQuota, string? perHour, string? perMinute, CancellationToken ct)
    {
        var body = new Dictionary<string, object?> { ["name"] = name };
        if (Limits(body, monthlyQuota, perHour, perMinute, omitBlank: true)
            && Succeeded((await AccountEndpoints.CreateAsync(JsonSerializer.SerializeToElement(body), store, options, clock, ct)).Result))
            Notice($"Account {name} created. Create its first key under API keys after viewing it.");
        await LoadAsync(ct);
    }

    public async Task OnPostUpdateAsync(string? id, string? monthlyQuota, string? perHour, string? perMinute, bool disabled, CancellationToken ct)
    {
        var body = new Dictionary<string, object?> { ["disabled"] = disabled };
        if (Limits(body, monthlyQuota, perHour, perMinute, omitBlank: false)
            && Succeeded((await AccountEndpoints.UpdateAsync(id ?? "", JsonSerializer.SerializeToElement(body), store, directory, keys, clock, ct)).Result))
            Notice("Account saved.");
        await LoadAsync(ct);
    }

    public async Task<IActionResult> OnPostViewAsync(string? id, CancellationToken ct)
    {
        if (await store.FindAccountAsync(id ?? "", ct) is not { } account)
        {
            Error("No such account.");
            await LoadAsync(ct);
            return Page();
        }
        await ShowAsync(account.Id, account.Name);
        return Redirect(ConsoleRegistration.Prefix);
    }

    public async Task<IActionResult> OnPostHomeAsync(CancellationToken ct)
    {
        var home = User.FindFirst(ConsoleUser.HomeClaim)!.Value;
        await ShowAsync(home, (await store.FindAccountAsync(home, ct))?.Name ?? home);
        return Redirect(ConsoleRegistration.Prefix);
    }

    // The same session (id, expiry) with another account in view.
    private async Task ShowAsync(string accountId, string name)
    {
        var current = await HttpContext.AuthenticateAsync(ConsoleRegistration.Scheme);
        await HttpContext.SignInAsync(ConsoleRegistration.Scheme, User.Showing(accountId, name), current.Properties);
    }

    /// <summary>Blank means the default on create and unlimited on update; anything else must be a whole number.</summary>
    private bool Limits(Dictionary<string, object?> body, string? monthlyQuota, string? perHour, string? perMinute, bool omitBlank)
    {
        foreach (var (field, text) in new[] { ("monthlyQuota", monthlyQuota), ("perHour", perHour), ("perMinute", perMinute) })
        {
            if (string.IsNullOrWhiteSpace(text))
            {
                if (!omitBlank) body[field] = null;
                continue;
            }
            if (!long.TryParse(text, out var value))
            {
                Error($"'{field}' must be a whole number, or blank.");
                return false;
            }
            body[field] = value;
        }
        return true;
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        var page = (await AccountEndpoints.ListAsync(store, clock, After, ct)).Value!;
        Accounts = page.Items;
        Next = page.Next;
    }
}
