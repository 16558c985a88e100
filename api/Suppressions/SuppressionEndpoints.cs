using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using EmailApi.Accounts;
using EmailApi.Mail;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EmailApi.Suppressions;

/// <summary>
/// The account's suppression list: addresses that hard-bounced (added automatically) or that the
/// account added itself. Mail to a suppressed address is recorded as <c>suppressed</c> without any
/// delivery attempt. Each account sees and changes only its own list.
/// </summary>
public static class SuppressionEndpoints
{
    private const int PageSize = 100;

    public static RouteGroupBuilder MapSuppressions(this RouteGroupBuilder v1)
    {
        var group = v1.MapGroup("/suppressions").WithTags("Suppressions");
        group.MapGet("/", ListAsync).WithName("ListSuppressions").WithSummary("List suppressed addresses, in address order")
            .ProducesProblem(StatusCodes.Status401Unauthorized).RequireAuthorization(Scopes.Read);
        group.MapPost("/", AddAsync).WithName("AddSuppression").WithSummary("Suppress an address")
            .ProducesProblem(StatusCodes.Status401Unauthorized).RequireAuthorization(Scopes.Send);
        group.MapDelete("/{email}", RemoveAsync).WithName("RemoveSuppression").WithSummary("Remove an address from the suppression list")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status404NotFound).RequireAuthorization(Scopes.Send);
        return v1;
    }

    internal static async Task<Ok<SuppressionPage>> ListAsync(ClaimsPrincipal user, ISuppressionStore store, string? after, CancellationToken ct)
    {
        var items = await store.ListAsync(user.AccountId(), after?.ToLowerInvariant(), PageSize, ct);
        return TypedResults.Ok(new SuppressionPage(
            items.Select(s => new SuppressionResponse(s.Address, s.Reason, s.Source, s.CreatedAt)).ToArray(),
            items.Count == PageSize ? items[^1].Address : null));
    }

    internal static async Task<Results<Created<SuppressionResponse>, Ok<SuppressionResponse>, ValidationProblem>> AddAsync(
        AddSuppressionRequest request, ClaimsPrincipal user, ISuppressionStore store, TimeProvider clock, CancellationToken ct)
    {
        if (!AddressRules.IsValid(request.Email))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["email"] = [$"'{request.Email}' is not a valid email address."] });
        var address = request.Email.Trim().ToLowerInvariant();
        var reason = string.IsNullOrWhiteSpace(request.Reason) ? "Added by the account" : request.Reason.Trim();
        var added = await store.AddAsync(user.AccountId(), address, reason, SuppressionSource.Manual, ct);
        var response = new SuppressionResponse(address, reason, "manual", clock.GetUtcNow());
        return added ? TypedResults.Created($"/v1/suppressions/{Uri.EscapeDataString(address)}", response) : TypedResults.Ok(response);
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> RemoveAsync(string email, ClaimsPrincipal user, ISuppressionStore store, CancellationToken ct) =>
        await store.RemoveAsync(user.AccountId(), email.Trim().ToLowerInvariant(), ct)
            ? TypedResults.NoContent()
            : TypedResults.Problem($"'{email}' is not on the suppression list.", statusCode: StatusCodes.Status404NotFound, title: "Not found");
}

public sealed record AddSuppressionRequest(string Email, string? Reason);

public sealed record SuppressionResponse(string Email, string Reason, [property: AllowedValues("bounce", "manual", "unsubscribe", "feedback")] string Source, DateTimeOffset CreatedAt);

/// <summary>A page of entries; pass <c>next</c> as <c>after</c> for the following page (null on the last).</summary>
public sealed record SuppressionPage(IReadOnlyList<SuppressionResponse> Items, string? Next);
