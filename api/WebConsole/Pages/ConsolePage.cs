using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace EmailApi.WebConsole.Pages;

/// <summary>
/// What every console page shares: the navigation entry, notices, and turning the answer of one of
/// the API's own handlers (which the pages call, so rules and checks live in one place) into a
/// notice or an error for the person.
/// </summary>
public abstract class ConsolePage : PageModel
{
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
