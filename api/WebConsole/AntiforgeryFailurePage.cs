using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.Core.Infrastructure;

namespace EmailApi.WebConsole;

/// <summary>
/// A form posted without its antiforgery token (or with one from another session) is refused with
/// 400 and nothing changes; this turns the framework's bare 400 into a page a person can act on.
/// </summary>
internal sealed class AntiforgeryFailurePage : IAlwaysRunResultFilter
{
    private const string Html = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>Form refused · EmailApi</title>
        <link rel="stylesheet" href="/console/assets/console.css"></head>
        <body><main><h1>Form refused</h1>
        <p class="error" role="alert">This form did not come from the console page you are signed in to (or it expired), so nothing was changed.</p>
        <p><a href="/console">Back to the console</a>, reload the page and try again.</p></main></body></html>
        """;

    public void OnResultExecuting(ResultExecutingContext context)
    {
        if (context.Result is IAntiforgeryValidationFailedResult)
            context.Result = new ContentResult { StatusCode = StatusCodes.Status400BadRequest, ContentType = "text/html; charset=utf-8", Content = Html };
    }

    public void OnResultExecuted(ResultExecutedContext context)
    {
    }
}
