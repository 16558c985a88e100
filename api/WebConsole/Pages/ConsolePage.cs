using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace EmailApi.WebConsole.Pages;

/// <summary>
/// What every console page shares: the navigation entry, notices, and turning the answer of one of
/// the API's own handlers (which the pages call, so rules and checks live in one place) into a
/// notice or an error for the person. A form that did what it asked is answered with a redirect to the
/// page (Post/Redirect/Get), its notice carried in TempData, so reloading the page never posts it again; a
/// refused form is answered with the page and its error (posting that again changes nothing).
/// </summary>
public abstract class ConsolePage : PageModel
{
    private const string NoticeKey = "Notice", StashKey = "Stash";

    protected void Notice(string text) => ViewData["Notice"] = text;

    protected void Error(string text) => ViewData["Error"] = text;

    /// <summary>True when the API handler succeeded; otherwise shows its problem as the page's error.</summary>
    protected bool Succeeded(IResult result)
    {
        switch (result)
        {
            case ValidationProblem v:
                Error(string.Join(" ", v.ProblemDetails.Errors.SelectMany(e => e.Value)));
                return false;
            case ProblemHttpResult p:
                Error(p.ProblemDetails.Detail ?? p.ProblemDetails.Title ?? "The request was refused.");
                return false;
            default:
                return true;
        }
    }

    public override void OnPageHandlerExecuting(PageHandlerExecutingContext context)
    {
        if (TempData[NoticeKey] is string notice) Notice(notice);
    }

    public override void OnPageHandlerExecuted(PageHandlerExecutedContext context)
    {
        if (!HttpMethods.IsPost(Request.Method) || context.Exception is not null || context.Result is not (PageResult or null) || ViewData["Error"] is not null)
            return;
        if (ViewData["Notice"] is string notice) TempData[NoticeKey] = notice;
        // Back to the page as it was shown: its own query (filters, cursor) without the form's handler.
        var query = new QueryBuilder(Request.Query.Where(q => !string.Equals(q.Key, "handler", StringComparison.OrdinalIgnoreCase)));
        context.Result = new Microsoft.AspNetCore.Mvc.RedirectResult(Request.PathBase + Request.Path + query.ToQueryString());
    }

    /// <summary>
    /// Shows <paramref name="value"/> on the page after the redirect, once: it waits sealed in the database
    /// (any node may answer the redirect), bound to this session, and is deleted as it is read.
    /// </summary>
    protected async Task StashAsync<T>(T value, CancellationToken ct) =>
        TempData[StashKey] = await HttpContext.RequestServices.GetRequiredService<ConsoleSessions>().StashAsync(User, JsonSerializer.Serialize(value), ct);

    /// <summary>The value a form stashed for this page, or null (already shown, expired, or none).</summary>
    protected async Task<T?> TakeStashedAsync<T>(CancellationToken ct) where T : class =>
        TempData[StashKey] is string id && await HttpContext.RequestServices.GetRequiredService<ConsoleSessions>().TakeAsync(User, id, ct) is { } json
            ? JsonSerializer.Deserialize<T>(json)
            : null;

    /// <summary>A refusal for a person whose key lacks the scope (the page hides such forms; this catches a crafted post).</summary>
    protected void Forbidden(string scope) => Error($"Your key lacks the {scope} scope this needs.");

    public static string When(DateTimeOffset? at) => at is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) : "—";

    public static string Ago(DateTimeOffset at, DateTimeOffset now)
    {
        var span = now - at;
        if (span < TimeSpan.FromMinutes(1)) return $"{Math.Max(0, (int)span.TotalSeconds)} s ago";
        if (span < TimeSpan.FromHours(1)) return $"{(int)span.TotalMinutes} min ago";
        if (span < TimeSpan.FromDays(2)) return $"{(int)span.TotalHours} h ago";
        return $"{(int)span.TotalDays} days ago";
    }
}
