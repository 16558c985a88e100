using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace EmailApi.Accounts;

/// <summary>
/// The operator's account administration (keys with the <c>admin</c> scope): accounts with their
/// limits and sender domains, and each account's API keys. A change made here applies on this node
/// at once; other nodes pick it up within a few seconds (their caches).
/// </summary>
public static class AccountEndpoints
{
    private const int PageSize = 100;

    public static RouteGroupBuilder MapAccounts(this RouteGroupBuilder v1)
    {
        v1.MapGet("/account", GetOwnAsync).WithName("GetOwnAccount").WithTags("Accounts")
            .WithSummary("The caller's account: its limits, sender domains and current usage")
            .ProducesProblem(StatusCodes.Status401Unauthorized).RequireAuthorization();

        var accounts = v1.MapGroup("/accounts").WithTags("Accounts").RequireAuthorization(Scopes.Admin);
        accounts.MapPost("/", CreateAsync).WithName("CreateAccount").WithSummary("Create an account (admin)")
            .Accepts<CreateAccountRequest>("application/json").ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict);
        accounts.MapGet("/", ListAsync).WithName("ListAccounts").WithSummary("List accounts in name order (admin)")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        accounts.MapGet("/{id}", GetAsync).WithName("GetAccount").WithSummary("An account with its current usage (admin)")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        accounts.MapPatch("/{id}", UpdateAsync).WithName("UpdateAccount")
            .WithSummary("Change an account's name, limits, sender domains, unsubscribe tags, or disable it (admin)")
            .WithDescription("Only the fields present change. A limit set to null is unlimited. A disabled account can neither send nor authenticate.")
            .Accepts<AccountRequest>("application/json").ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        accounts.MapPost("/{id}/keys", CreateKeyAsync).WithName("CreateKey").WithSummary("Create an API key; the key is shown only in this answer (admin)")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        accounts.MapGet("/{id}/keys", ListKeysAsync).WithName("ListKeys").WithSummary("An account's API keys, never the keys themselves (admin)")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        accounts.MapDelete("/{id}/keys/{keyId}", RevokeKeyAsync).WithName("RevokeKey").WithSummary("Revoke an API key (admin)")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        return v1;
    }

    internal static async Task<Results<Ok<AccountResponse>, ProblemHttpResult>> GetOwnAsync(
        ClaimsPrincipal user, IAccountStore store, TimeProvider clock, CancellationToken ct)
    {
        var account = await store.FindAccountAsync(user.AccountId(), ct);
        if (account is null) return NotFound("account");
        return TypedResults.Ok(AccountResponse.Of(account, await store.GetUsageAsync(account.Id, ct), clock.GetUtcNow()));
    }

    internal static async Task<Results<Created<AccountResponse>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        [FromBody] JsonElement body, IAccountStore store, IOptions<AccountsOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var (changes, errors) = AccountInput.Read(body);
        if (changes.Name is null && !errors.ContainsKey("name")) errors["name"] = ["'name' is required."];
        if (changes.Disabled is not null) errors["disabled"] = ["A new account is enabled; disable it with PATCH."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var limits = new AccountLimits(changes.MonthlyQuota.Or(options.Value.DefaultMonthlyQuota), changes.PerHour.Or(null), changes.PerMinute.Or(null));
        var account = await store.CreateAccountAsync(changes.Name!, limits, changes.SenderDomains ?? [],
            changes.UnsubscribeTags ?? Account.DefaultUnsubscribeTags, ct);
        if (account is null)
            return TypedResults.Problem($"An account named '{changes.Name}' already exists.", statusCode: StatusCodes.Status409Conflict, title: "Name taken");
        return TypedResults.Created($"/v1/accounts/{account.Id}", AccountResponse.Of(account, null, clock.GetUtcNow()));
    }

    internal static async Task<Ok<AccountPage>> ListAsync(IAccountStore store, TimeProvider clock, string? after, CancellationToken ct)
    {
        var items = await store.ListAccountsAsync(after, PageSize, ct);
        return TypedResults.Ok(new AccountPage(items.Select(a => AccountResponse.Of(a, null, clock.GetUtcNow())).ToArray(),
            items.Count == PageSize ? items[^1].Name : null));
    }

    internal static async Task<Results<Ok<AccountResponse>, ProblemHttpResult>> GetAsync(string id, IAccountStore store, TimeProvider clock, CancellationToken ct)
    {
        var account = await store.FindAccountAsync(id, ct);
        if (account is null) return NotFound($"account '{id}'");
        return TypedResults.Ok(AccountResponse.Of(account, await store.GetUsageAsync(account.Id, ct), clock.GetUtcNow()));
    }

    internal static async Task<Results<Ok<AccountResponse>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        string id, [FromBody] JsonElement body, IAccountStore store, AccountDirectory directory, ApiKeyAuthenticator keys,
        TimeProvider clock, CancellationToken ct)
    {
        var (changes, errors) = AccountInput.Read(body);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var update = await store.UpdateAccountAsync(id, changes, ct);
        directory.Forget(id);
        keys.ForgetAccount(id);
        return update switch
        {
            AccountUpdate.Updated updated => TypedResults.Ok(AccountResponse.Of(updated.Account, await store.GetUsageAsync(id, ct), clock.GetUtcNow())),
            AccountUpdate.NotFound => NotFound($"account '{id}'"),
            AccountUpdate.NameTaken => TypedResults.Problem($"An account named '{changes.Name}' already exists.", statusCode: StatusCodes.Status409Conflict, title: "Name taken"),
            var other => throw new UnreachableException(other.ToString()),
        };
    }

    internal static async Task<Results<Created<CreatedKeyResponse>, ValidationProblem, ProblemHttpResult>> CreateKeyAsync(
        string id, CreateKeyRequest request, IAccountStore store, TimeProvider clock, CancellationToken ct)
    {
        var scopes = request.Scopes ?? [.. Scopes.Default];
        var errors = new Dictionary<string, string[]>();
        if (scopes.Count == 0 || scopes.Any(s => !Scopes.All.Contains(s)))
            errors["scopes"] = [$"Scopes must be among {string.Join(", ", Scopes.All)}."];
        if (request.Name is { } name && (name.Length is 0 or > 100 || name.Any(char.IsControl)))
            errors["name"] = ["'name' must be 1 to 100 characters without control characters."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        if (await store.FindAccountAsync(id, ct) is null) return NotFound($"account '{id}'");

        var key = ApiKey.Generate();
        var distinct = scopes.Distinct().ToArray();
        var keyId = await store.AddKeyAsync(id, request.Name ?? "api", ApiKey.Hash(key), distinct, ct);
        return TypedResults.Created($"/v1/accounts/{id}/keys/{keyId}",
            new CreatedKeyResponse(keyId, id, request.Name ?? "api", distinct, clock.GetUtcNow(), key));
    }

    internal static async Task<Results<Ok<IReadOnlyList<KeyResponse>>, ProblemHttpResult>> ListKeysAsync(string id, IAccountStore store, CancellationToken ct)
    {
        if (await store.FindAccountAsync(id, ct) is null) return NotFound($"account '{id}'");
        var keys = await store.ListKeysAsync(id, ct);
        return TypedResults.Ok<IReadOnlyList<KeyResponse>>(keys.Select(k => new KeyResponse(k.Id, k.AccountId, k.Name, k.Scopes, k.CreatedAt, k.LastUsedAt, k.RevokedAt)).ToArray());
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> RevokeKeyAsync(
        string id, string keyId, IAccountStore store, ApiKeyAuthenticator keys, CancellationToken ct)
    {
        if (!await store.RevokeKeyAsync(id, keyId, ct)) return NotFound($"active key '{keyId}' in account '{id}'");
        keys.Forget(keyId);
        return TypedResults.NoContent();
    }

    private static ProblemHttpResult NotFound(string what) =>
        TypedResults.Problem($"No {what}.", statusCode: StatusCodes.Status404NotFound, title: "Not found");
}

/// <summary>
/// The body of a new account, as <see cref="AccountInput"/> reads it (the handler binds raw JSON to
/// tell an absent limit from a null one); this record only declares that shape to the OpenAPI document.
/// </summary>
public sealed record CreateAccountRequest(string Name, long? MonthlyQuota, long? PerHour, long? PerMinute, IReadOnlyList<string>? SenderDomains,
    [property: Description(CreateAccountRequest.UnsubscribeTagsText + " Absent: [\"broadcast\"].")] IReadOnlyList<string>? UnsubscribeTags)
{
    internal const string UnsubscribeTagsText = "Messages sent as JSON (POST /v1/send, /v1/send/batch) with any of these tags get one-click unsubscribe " +
        "(List-Unsubscribe, RFC 8058) unless the request says \"unsubscribe\": false; such a message must have exactly one recipient. Empty or null: none.";
}

/// <summary>Update an account. Absent fields stay as they are; a limit of null is unlimited.</summary>
public sealed record AccountRequest(string? Name, long? MonthlyQuota, long? PerHour, long? PerMinute, IReadOnlyList<string>? SenderDomains, bool? Disabled,
    [property: Description(CreateAccountRequest.UnsubscribeTagsText)] IReadOnlyList<string>? UnsubscribeTags);

public sealed record AccountPage(IReadOnlyList<AccountResponse> Items, string? Next);

public sealed record CreateKeyRequest(string? Name, [property: AllowedValues("send", "read", "admin")] IReadOnlyList<string>? Scopes);

public sealed record KeyResponse(string Id, string AccountId, string Name, [property: AllowedValues("send", "read", "admin")] IReadOnlyList<string> Scopes, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);

/// <summary>A new key: <see cref="Key"/> appears only here, never again.</summary>
public sealed record CreatedKeyResponse(string Id, string AccountId, string Name, [property: AllowedValues("send", "read", "admin")] IReadOnlyList<string> Scopes, DateTimeOffset CreatedAt, string Key);
