using EmailApi.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace EmailApi.WebConsole.Pages;

/// <summary>The shown account's keys; creating and revoking take the admin scope, as in the API.</summary>
public sealed class KeysModel(IAccountStore store, ApiKeyAuthenticator authenticator, TimeProvider clock) : ConsolePage
{
    public IReadOnlyList<KeyResponse> Keys { get; private set; } = [];
    public CreatedKeyResponse? Created { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        Created = await TakeStashedAsync<CreatedKeyResponse>(ct);
        await LoadAsync(ct);
    }

    public async Task OnPostCreateAsync(string? name, string[]? scopes, CancellationToken ct)
    {
        if (!User.IsAdmin()) Forbidden("admin");
        else
        {
            var result = (await AccountEndpoints.CreateKeyAsync(User.AccountId(), new CreateKeyRequest(name, scopes ?? []), store, clock, ct)).Result;
            if (Succeeded(result))
            {
                await StashAsync(((Created<CreatedKeyResponse>)result).Value, ct);
                return;
            }
        }
        await LoadAsync(ct);
    }

    public async Task OnPostRevokeAsync(string? keyId, CancellationToken ct)
    {
        if (!User.IsAdmin()) Forbidden("admin");
        else if (Succeeded((await AccountEndpoints.RevokeKeyAsync(User.AccountId(), keyId ?? "", store, authenticator, ct)).Result))
            Notice($"Key {keyId} is revoked; it stops working at once.");
        await LoadAsync(ct);
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        if ((await AccountEndpoints.ListKeysAsync(User.AccountId(), store, ct)).Result is Ok<IReadOnlyList<KeyResponse>> { Value: { } keys })
            Keys = keys.OrderBy(k => k.RevokedAt is not null).ThenByDescending(k => k.CreatedAt).ToArray();
    }
}
