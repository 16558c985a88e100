using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Security.Claims;
using System.Text.Json;
using EmailApi.Accounts;
using EmailApi.Queue;
using EmailApi.Unsubscribe;
using Microsoft.AspNetCore.Http.HttpResults;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace EmailApi.Sending;

public static class SendBatchEndpoint
{
    public const int MaxMessages = 500;

    public static RouteGroupBuilder MapSendBatch(this RouteGroupBuilder v1)
    {
        v1.MapPost("/send/batch", HandleAsync)
            .WithName("SendBatch")
            .WithSummary($"Queue up to {MaxMessages} messages in one request")
            .WithDescription("Each message is checked on its own; the acceptable ones are committed in one transaction. The answer has one result per " +
                "message, in order: accepted with its id, or rejected with the problem (validation errors, quota or rate, sender domain). " +
                "An Idempotency-Key covers the whole batch.")
            .WithTags("Sending")
            .Accepts<SendBatchRequest>("application/json")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .RequireAuthorization(Scopes.Send);
        return v1;
    }

    internal static async Task<Results<Ok<SendBatchResponse>, ContentHttpResult, ValidationProblem, ProblemHttpResult>> HandleAsync(
        HttpRequest http, ClaimsPrincipal user, SendMessageValidator validator, MessageComposer composer,
        SubmissionService submissions, UnsubscribeService unsubscribe, AccountDirectory accounts, IOptions<JsonOptions> json, TimeProvider clock,
        CancellationToken ct)
    {
        if (!http.HasJsonContentType())
            return TypedResults.Problem("Send the batch as JSON with 'Content-Type: application/json'.", statusCode: StatusCodes.Status415UnsupportedMediaType);
        if (IdempotencyKeys.TryRead(http, out var key) is { } badKey) return TypedResults.Problem(badKey);

        byte[] body;
        JsonElement root;
        try
        {
            body = await SendRequests.ReadBodyAsync(http, ct);
            root = JsonSerializer.Deserialize<JsonElement>(body, SendMessageEndpoint.RequestJson);
        }
        catch (BadHttpRequestException ex)
        {
            return TypedResults.Problem(ex.Message, statusCode: ex.StatusCode);
        }
        catch (JsonException)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["$"] = ["The body is not valid JSON."] });
        }
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("messages", out var list) || list.ValueKind != JsonValueKind.Array
            || root.EnumerateObject().Count() != 1)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["messages"] = ["The body must be {\"messages\": [ ... ]}."] });
        var count = list.GetArrayLength();
        if (count is 0 or > MaxMessages)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["messages"] = [$"Send 1 to {MaxMessages} messages; got {count}."] });

        // Items that fail validation are answered at once; the others go to the queue together.
        var account = user.AccountId();
        var trace = HttpTrace.Of(http);
        var results = new BatchItemResult[count];
        var submissionsToSend = new List<Submission>(count);
        var positions = new List<int>(count);
        UnsubscribeLinks? links = null;
        var sender = await accounts.FindAsync(account, ct);
        var index = 0;
        foreach (var item in list.EnumerateArray())
        {
            var parsed = SendRequests.Parse(item);
            var (request, defaultErrors) = parsed.Request is null ? (null, null) : UnsubscribeDefault.Apply(parsed.Request, sender);
            if (parsed.Errors is { } errors)
            {
                results[index] = Invalid(index, errors, parsed.Title);
            }
            else if (defaultErrors is not null)
            {
                results[index] = Invalid(index, defaultErrors, null);
            }
            else if (await validator.ValidateAsync(request!, ct) is { IsValid: false } validation)
            {
                results[index] = Invalid(index, validation.ToDictionary(), null);
            }
            else
            {
                if (request!.Unsubscribe == true) links ??= await unsubscribe.LinksAsync(ct);
                submissionsToSend.Add(SendRequests.ToSubmission(request, account, trace, composer, clock, links));
                positions.Add(index);
            }
            index++;
        }
        if (submissionsToSend.Count == 0) return TypedResults.Ok(SendBatchResponse.Of(results));

        IdempotencyRequest? idempotency = key is null
            ? null
            : new IdempotencyRequest(key, IdempotencyKeys.Hash(http, body),
                answers => new StoredResponse(StatusCodes.Status200OK, null,
                    JsonSerializer.Serialize(SendBatchResponse.Of(Fill(results, positions, answers)), json.Value.SerializerOptions)));
        return await submissions.SubmitManyAsync(submissionsToSend, idempotency, ct) switch
        {
            BatchSubmitted.Completed completed => TypedResults.Ok(SendBatchResponse.Of(Fill(results, positions, completed.Items))),
            BatchSubmitted.Replayed replayed => IdempotencyKeys.Replay(http.HttpContext.Response, replayed.Response),
            BatchSubmitted.KeyReused => IdempotencyKeys.Reused(),
            BatchSubmitted.Unavailable unavailable => TypedResults.Problem(unavailable.PublicReason, statusCode: StatusCodes.Status503ServiceUnavailable),
            var other => throw new UnreachableException(other.ToString()),
        };
    }

    private static BatchItemResult[] Fill(BatchItemResult[] validated, List<int> positions, IReadOnlyList<Submitted> answers)
    {
        var results = (BatchItemResult[])validated.Clone();
        for (var k = 0; k < positions.Count; k++)
        {
            var i = positions[k];
            results[i] = answers[k] switch
            {
                Submitted.Accepted accepted => new BatchItemResult(i, "accepted", accepted.Id.ToString(),
                    accepted.Recipients.Select(r => new RecipientState(r, "queued")).ToArray(), null),
                Submitted.Rejected rejected => new BatchItemResult(i, "rejected", null, null, SubmissionProblems.For(rejected)),
                Submitted.Unavailable unavailable => new BatchItemResult(i, "rejected", null, null,
                    SubmissionProblems.Problem(StatusCodes.Status503ServiceUnavailable, "Service unavailable", unavailable.PublicReason)),
                var other => throw new UnreachableException(other.ToString()),
            };
        }
        return results;
    }

    private static BatchItemResult Invalid(int index, IDictionary<string, string[]> errors, string? title) =>
        new(index, "rejected", null, null, new HttpValidationProblemDetails(errors)
        {
            Status = StatusCodes.Status400BadRequest,
            Title = title ?? "One or more validation errors occurred.",
            Type = "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        });
}

public sealed record SendBatchRequest(IReadOnlyList<SendMessageRequest> Messages);

/// <summary>One result per message of the batch, in order.</summary>
public sealed record SendBatchResponse(int Accepted, int Rejected, IReadOnlyList<BatchItemResult> Results)
{
    public static SendBatchResponse Of(BatchItemResult[] results) =>
        new(results.Count(r => r.Status == "accepted"), results.Count(r => r.Status != "accepted"), results);
}

/// <summary>
/// <c>accepted</c> with the message id and its recipients, or <c>rejected</c> with an RFC 9457 problem
/// (typed as object so that a validation problem keeps its <c>errors</c> when serialized).
/// </summary>
public sealed record BatchItemResult(int Index, [property: AllowedValues("accepted", "rejected")] string Status, string? Id, IReadOnlyList<RecipientState>? Recipients, object? Problem);
