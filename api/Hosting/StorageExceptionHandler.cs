using System.Data.Common;
using EmailApi.Queue;
using EmailApi.Storage;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace EmailApi.Hosting;

/// <summary>
/// A database failure that reaches the top of a request (the database gone, read-only, not
/// answering) is our outage, not the client's mistake and not a bug in the request: it is answered
/// 503 with <c>Retry-After</c> (added by the pipeline), as SMTP answers 451 4.3.0, never 500.
/// Anything else falls through to the bare 500 problem.
/// </summary>
public sealed class StorageExceptionHandler(IProblemDetailsService problems, ILogger<StorageExceptionHandler> log) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not (DbException or StorageUnavailableException or QueueUnavailableException)) return false;
        log.LogError(exception, "The database failed during {Method} {Path}; answered 503", context.Request.Method, context.Request.Path);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Service unavailable",
                Detail = "The service cannot store or read data right now; try again later.",
            },
        });
    }
}
