using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Mvc;

namespace EmailApi.Sending;

/// <summary>
/// The <c>Idempotency-Key</c> request header (draft-ietf-httpapi-idempotency-key-header): up to 256
/// visible ASCII characters, kept 24 hours per account. A request is the same as an earlier one when
/// its method, path, query and body bytes are the same.
/// </summary>
internal static class IdempotencyKeys
{
    public const string Header = "Idempotency-Key";

    /// <summary>The key, or null when the request has none; a problem when the header is malformed.</summary>
    public static ProblemDetails? TryRead(HttpRequest request, out string? key)
    {
        key = null;
        if (!request.Headers.TryGetValue(Header, out var values)) return null;
        var text = values.Count == 1 ? values[0] : null;
        if (string.IsNullOrEmpty(text) || text.Length > IdempotencyRequest.MaxKeyLength || text.Any(c => c is < '!' or > '~'))
            return SubmissionProblems.Problem(StatusCodes.Status400BadRequest, "Invalid Idempotency-Key",
                $"Send one Idempotency-Key of 1 to {IdempotencyRequest.MaxKeyLength} visible ASCII characters.");
        key = text;
        return null;
    }

    public static byte[] Hash(HttpRequest request, byte[] body)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{request.Method} {request.Path}{request.QueryString}\n"));
        hash.AppendData(body);
        return hash.GetHashAndReset();
    }

    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Reused() =>
        TypedResults.Problem(SubmissionProblems.Problem(StatusCodes.Status422UnprocessableEntity, "Idempotency-Key reused",
            "This Idempotency-Key was already used with a different request; use a new key for a new request."));

    /// <summary>The original answer, as it was given, marked as a replay.</summary>
    public static Microsoft.AspNetCore.Http.HttpResults.ContentHttpResult Replay(HttpResponse response, Queue.StoredResponse stored)
    {
        response.Headers["Idempotent-Replayed"] = "true";
        if (stored.Location is not null) response.Headers.Location = stored.Location;
        return TypedResults.Content(stored.Body, "application/json", Encoding.UTF8, stored.StatusCode);
    }
}
