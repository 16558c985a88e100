using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace EmailApi.Sending;

/// <summary>
/// How the HTTP door words a refused submission (RFC 9457 problem details): 400 for what the client
/// must fix, 403 for senders or accounts that may not send, 413 for size, 422 for a mail loop, 429 for a quota or rate
/// with the limit, its usage and its reset, plus <c>Retry-After</c> and <c>RateLimit-*</c> headers.
/// </summary>
internal static class SubmissionProblems
{
    public static ProblemDetails For(Submitted.Rejected rejected) => rejected.Kind switch
    {
        RejectionKind.TooLarge => Problem(StatusCodes.Status413PayloadTooLarge, "Message too large", rejected.PublicReason),
        RejectionKind.QuotaExceeded => Limited("Monthly quota exceeded", rejected),
        RejectionKind.RateLimited => Limited("Rate limit exceeded", rejected),
        RejectionKind.SenderDomainNotAllowed => Problem(StatusCodes.Status403Forbidden, "Sender domain not allowed", rejected.PublicReason),
        RejectionKind.DomainNotVerified => Problem(StatusCodes.Status403Forbidden, "Sender domain not verified", rejected.PublicReason),
        RejectionKind.AccountDisabled => Problem(StatusCodes.Status403Forbidden, "Account disabled", rejected.PublicReason),
        // Well-formed but refused for what it says about itself, for good: not a 4xx the client may retry as is.
        RejectionKind.MailLoop => Problem(StatusCodes.Status422UnprocessableEntity, "Mail loop detected", rejected.PublicReason),
        _ => new HttpValidationProblemDetails(new Dictionary<string, string[]> { ["to"] = [rejected.PublicReason] })
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "One or more validation errors occurred.",
            Type = "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        },
    };

    /// <summary>The single-message answer; sets the limit headers on a 429.</summary>
    public static ProblemHttpResult Result(Submitted.Rejected rejected, HttpResponse response, TimeProvider clock)
    {
        if (rejected.Limit is { } limit) AddLimitHeaders(response, limit, clock);
        return TypedResults.Problem(For(rejected));
    }

    public static void AddLimitHeaders(HttpResponse response, ExceededLimit limit, TimeProvider clock)
    {
        var seconds = Math.Max(1, (long)Math.Ceiling((limit.ResetsAt - clock.GetUtcNow()).TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        response.Headers.RetryAfter = seconds;
        response.Headers["RateLimit-Limit"] = limit.Limit.ToString(CultureInfo.InvariantCulture);
        response.Headers["RateLimit-Remaining"] = Math.Max(0, limit.Limit - limit.Used).ToString(CultureInfo.InvariantCulture);
        response.Headers["RateLimit-Reset"] = seconds;
    }

    public static ProblemDetails Problem(int status, string title, string detail) => new() { Status = status, Title = title, Detail = detail };

    private static ProblemDetails Limited(string title, Submitted.Rejected rejected)
    {
        var problem = Problem(StatusCodes.Status429TooManyRequests, title, rejected.PublicReason);
        if (rejected.Limit is { } limit)
        {
            problem.Extensions["limit"] = limit.Name;
            problem.Extensions["allowed"] = limit.Limit;
            problem.Extensions["used"] = limit.Used;
            problem.Extensions["resetsAt"] = limit.ResetsAt;
        }
        return problem;
    }
}
