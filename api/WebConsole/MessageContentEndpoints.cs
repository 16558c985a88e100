using System.Security.Claims;
using EmailApi.Accounts;
using EmailApi.Queue;

namespace EmailApi.WebConsole;

/// <summary>
/// A message's HTML body for the console's sandboxed frame, and its source as a download. The
/// preview carries a policy of its own that allows no script, no request anywhere (images only as
/// <c>data:</c>), no form, and runs the document in a unique origin (CSP <c>sandbox</c>), so a hostile
/// body can neither run nor phone home even if opened outside the frame.
/// </summary>
internal static class MessageContentEndpoints
{
    public const string PreviewCsp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; frame-ancestors 'self'; base-uri 'none'; form-action 'none'";

    public static void Map(WebApplication app)
    {
        var group = app.MapGroup($"{ConsoleRegistration.Prefix}/messages/{{id}}").RequireAuthorization(ConsoleRegistration.Policy).ExcludeFromDescription();
        group.MapGet("/preview", PreviewAsync);
        group.MapGet("/source", SourceAsync);
    }

    private static async Task<IResult> PreviewAsync(string id, ClaimsPrincipal user, IQueueInsights insights, HttpContext context, CancellationToken ct)
    {
        if (await FindAsync(id, user, insights, ct) is not { } source) return Results.NotFound();
        var html = MessageContent.Parse(source).Html ?? "";
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = PreviewCsp;
        headers.XFrameOptions = "SAMEORIGIN";
        return Results.Text(html, "text/html; charset=utf-8");
    }

    private static async Task<IResult> SourceAsync(string id, ClaimsPrincipal user, IQueueInsights insights, CancellationToken ct)
    {
        if (await FindAsync(id, user, insights, ct) is not { } source) return Results.NotFound();
        return Results.File(source, "message/rfc822", $"{id}.eml");
    }

    private static async Task<byte[]?> FindAsync(string id, ClaimsPrincipal user, IQueueInsights insights, CancellationToken ct) =>
        MessageId.TryParse(id, out var messageId) && await insights.SourceAsync(user.AccountId(), messageId, ct) is { Bytes: { } bytes } ? bytes : null;
}
