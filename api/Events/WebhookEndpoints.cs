using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using EmailApi.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EmailApi.Events;

/// <summary>
/// An account's webhook endpoints. Each gets every subscribed event of the account's messages as a
/// signed JSON POST (Standard Webhooks); the signing secret is shown only when the endpoint is created.
/// </summary>
public static class WebhookEndpoints
{
    public const int MaxPerAccount = 20;

    public static RouteGroupBuilder MapWebhooks(this RouteGroupBuilder v1)
    {
        var group = v1.MapGroup("/webhooks").WithTags("Webhooks");
        group.MapPost("/", CreateAsync).WithName("CreateWebhook")
            .WithSummary("Add an endpoint for message and domain events; the signing secret is shown only in this answer")
            .WithDescription("Events: queued, delivered, deferred, bounced, failed, suppressed, unsubscribed (sent as message.<event>), domain.verified, " +
                "domain.failed (default: all). Each is POSTed as JSON with the " +
                "Standard Webhooks headers webhook-id, webhook-timestamp and webhook-signature (v1, HMAC-SHA256 over 'id.timestamp.body' keyed " +
                "with the secret's base64 part). Failed deliveries are retried for about 24 hours; an endpoint failing that long is disabled.")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Scopes.Send);
        group.MapGet("/", ListAsync).WithName("ListWebhooks").WithSummary("The account's webhook endpoints")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Scopes.Read);
        group.MapDelete("/{id}", DeleteAsync).WithName("DeleteWebhook").WithSummary("Remove an endpoint; its pending events are dropped")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Scopes.Send);
        return v1;
    }

    internal static async Task<Results<Created<CreatedWebhookResponse>, ValidationProblem>> CreateAsync(
        CreateWebhookRequest request, ClaimsPrincipal user, IWebhookStore store, WebhookAddressGuard guard, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (!Uri.TryCreate(request.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || request.Url!.Length > 2048)
            errors["url"] = ["'url' must be an absolute http or https URL of at most 2048 characters."];
        else if (await guard.CheckAsync(url, ct) is WebhookAddressVerdict.Refused refused)
            errors["url"] = [$"'url' {url} is refused: {refused.Reason}. Webhooks must reach a public address (see Webhooks:AllowPrivateNetworks)."];
        var events = request.Events is null or { Count: 0 } ? WebhookEventTypes.All : request.Events.Distinct().ToArray();
        if (events.Any(e => !WebhookEventTypes.All.Contains(e)))
            errors["events"] = [$"Events must be among {string.Join(", ", WebhookEventTypes.All)}."];
        var existing = await store.ListAsync(user.AccountId(), ct);
        if (existing.Count >= MaxPerAccount) errors["url"] = [$"At most {MaxPerAccount} endpoints per account."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var secret = WebhookSignature.NewSecret();
        var webhook = await store.CreateAsync(user.AccountId(), url!.ToString(), events, secret, ct);
        return TypedResults.Created($"/v1/webhooks/{webhook.Id}",
            new CreatedWebhookResponse(webhook.Id, webhook.Url, webhook.Events, webhook.CreatedAt, secret));
    }

    internal static async Task<Ok<IReadOnlyList<WebhookResponse>>> ListAsync(ClaimsPrincipal user, IWebhookStore store, CancellationToken ct)
    {
        var webhooks = await store.ListAsync(user.AccountId(), ct);
        return TypedResults.Ok<IReadOnlyList<WebhookResponse>>(webhooks
            .Select(w => new WebhookResponse(w.Id, w.Url, w.Events, w.CreatedAt, w.DisabledAt is null ? "active" : "disabled", w.FailingSince, w.DisabledAt))
            .ToArray());
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string id, ClaimsPrincipal user, IWebhookStore store, CancellationToken ct) =>
        await store.DeleteAsync(user.AccountId(), id, ct)
            ? TypedResults.NoContent()
            : TypedResults.Problem($"No webhook with id '{id}'.", statusCode: StatusCodes.Status404NotFound, title: "Not found");
}

public sealed record CreateWebhookRequest([property: Required] string? Url, [property: AllowedValues("queued", "delivered", "deferred", "bounced", "failed", "suppressed", "unsubscribed", "complained", "domain.verified", "domain.failed")] IReadOnlyList<string>? Events);

public sealed record WebhookResponse(string Id, string Url, [property: AllowedValues("queued", "delivered", "deferred", "bounced", "failed", "suppressed", "unsubscribed", "complained", "domain.verified", "domain.failed")] IReadOnlyList<string> Events, DateTimeOffset CreatedAt,
    [property: AllowedValues("active", "disabled")] string Status, DateTimeOffset? FailingSince, DateTimeOffset? DisabledAt);

/// <summary>A new endpoint: <see cref="Secret"/> appears only here; verify each event's webhook-signature with it.</summary>
public sealed record CreatedWebhookResponse(string Id, string Url, [property: AllowedValues("queued", "delivered", "deferred", "bounced", "failed", "suppressed", "unsubscribed", "complained", "domain.verified", "domain.failed")] IReadOnlyList<string> Events, DateTimeOffset CreatedAt, string Secret);
