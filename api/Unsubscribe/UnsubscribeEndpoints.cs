using System.Diagnostics;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EmailApi.Unsubscribe;

/// <summary>
/// The public <c>/u/TOKEN</c> pages, served without an API key. <c>POST</c> with the body
/// <c>List-Unsubscribe=One-Click</c> unsubscribes (RFC 8058 §3.2: the mailbox provider posts it,
/// without cookies or a form it fetched first, so there is no antiforgery token to ask for, and
/// nothing to forge: the token alone decides which one address of which account is suppressed).
/// <c>GET</c> only shows a page with a button that posts that same body; it never unsubscribes
/// by itself, since link scanners and previews follow GETs (RFC 8058 §4). The pages show nothing
/// of the account but a masked address, and are rate-limited per client address.
/// </summary>
public static class UnsubscribeEndpoints
{
    public const string RateLimitPolicy = "unsubscribe";

    // Per client address: a person clicks once, a mailbox provider posts once per message; a
    // client asking more often than this is guessing tokens (which the MAC makes hopeless anyway).
    public const int RequestsPerMinute = 30;

    public static IEndpointRouteBuilder MapUnsubscribe(this IEndpointRouteBuilder app)
    {
        var pages = app.MapGroup("/u").AllowAnonymous().DisableAntiforgery().RequireRateLimiting(RateLimitPolicy).ExcludeFromDescription();
        pages.MapGet("/{token}", ShowAsync);
        pages.MapPost("/{token}", UnsubscribeAsync);
        return app;
    }

    public static IServiceCollection AddUnsubscribeRateLimit(this IServiceCollection services) =>
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(RateLimitPolicy, http => RateLimitPartition.GetFixedWindowLimiter(
                http.Connection.RemoteIpAddress?.ToString() ?? "",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = RequestsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
        });

    internal static async Task<Results<ContentHttpResult, ProblemHttpResult>> ShowAsync(string token, HttpResponse response, UnsubscribeService service, CancellationToken ct)
    {
        if (await service.FindAsync(token, ct) is not { } target) return NotFound();
        return Page(response, "Unsubscribe",
            $"<p>Stop mail from this sender to <b>{WebUtility.HtmlEncode(UnsubscribeService.Mask(target.Address))}</b>?</p>" +
            $"<form method=\"post\"><input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\"><button type=\"submit\">Unsubscribe</button></form>");
    }

    internal static async Task<Results<ContentHttpResult, ProblemHttpResult>> UnsubscribeAsync(string token, HttpRequest request, UnsubscribeService service, CancellationToken ct)
    {
        // RFC 8058 §3.1: the body is "List-Unsubscribe=One-Click", form-encoded (urlencoded or multipart).
        if (!request.HasFormContentType)
            return TypedResults.Problem("Post the form field List-Unsubscribe=One-Click.", statusCode: StatusCodes.Status400BadRequest, title: "Bad request");
        var form = await request.ReadFormAsync(ct);
        if (form["List-Unsubscribe"] != "One-Click")
            return TypedResults.Problem("Post the form field List-Unsubscribe=One-Click.", statusCode: StatusCodes.Status400BadRequest, title: "Bad request");
        return await service.UnsubscribeAsync(token, "https", ct) switch
        {
            UnsubscribeOutcome.Unsubscribed done => Page(request.HttpContext.Response, "Unsubscribed",
                $"<p><b>{WebUtility.HtmlEncode(done.MaskedAddress)}</b> will get no more mail from this sender.</p>"),
            UnsubscribeOutcome.AlreadySuppressed already => Page(request.HttpContext.Response, "Unsubscribed",
                $"<p><b>{WebUtility.HtmlEncode(already.MaskedAddress)}</b> is already unsubscribed.</p>"),
            UnsubscribeOutcome.NotFound => NotFound(),
            var other => throw new UnreachableException(other.ToString()),
        };
    }

    private static ProblemHttpResult NotFound() =>
        TypedResults.Problem("This unsubscribe link is not valid.", statusCode: StatusCodes.Status404NotFound, title: "Not found");

    private static ContentHttpResult Page(HttpResponse response, string title, string body)
    {
        // A page of our own, with no scripts, no third-party content, not to be framed or cached.
        response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'";
        response.Headers.XFrameOptions = "DENY";
        response.Headers.CacheControl = "no-store";
        response.Headers["Referrer-Policy"] = "no-referrer";
        return TypedResults.Content(
            $"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">" +
            $"<title>{title}</title><style>body{{font-family:sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}}</style></head>" +
            $"<body><h1>{title}</h1>{body}</body></html>", "text/html; charset=utf-8");
    }
}
