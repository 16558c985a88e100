using System.Diagnostics;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using EmailApi.Accounts;
using EmailApi.Queue;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace EmailApi.Sending;

public static class SendMessageEndpoint
{
    // Web defaults (camelCase, case-insensitive), but an unknown field is an error: a typo such as
    // "htlm" must not silently send a message without its body.
    internal static readonly JsonSerializerOptions RequestJson = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        AllowTrailingCommas = false,
        MaxDepth = 16,
    };

    public static RouteGroupBuilder MapSendMessage(this RouteGroupBuilder v1)
    {
        v1.MapPost("/send", HandleAsync)
            .WithName("SendMessage")
            .WithSummary("Queue a message for delivery")
            .WithDescription("Builds the MIME message, stores it durably and answers 202 once it is committed. Delivery happens in the background " +
                "(at 'sendAt' when given, up to 30 days ahead); follow it at the Location returned. With an Idempotency-Key header, a retry of the " +
                "same request within 24 hours returns the original answer without a second message.")
            .WithTags("Sending")
            .Accepts<SendMessageRequest>("application/json")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .RequireAuthorization(Scopes.Send);
        return v1;
    }

    internal static async Task<Results<Accepted<SendMessageResponse>, ContentHttpResult, ValidationProblem, ProblemHttpResult>> HandleAsync(
        HttpRequest http, ClaimsPrincipal user, SendMessageValidator validator, MessageComposer composer,
        SubmissionService submissions, IOptions<JsonOptions> json, TimeProvider clock, CancellationToken ct)
    {
        if (!http.HasJsonContentType())
            return TypedResults.Problem("Send the message as JSON with 'Content-Type: application/json'.", statusCode: StatusCodes.Status415UnsupportedMediaType);
        if (IdempotencyKeys.TryRead(http, out var key) is { } badKey) return TypedResults.Problem(badKey);

        byte[] body;
        try
        {
            body = await SendRequests.ReadBodyAsync(http, ct);
        }
        catch (BadHttpRequestException ex)
        {
            return TypedResults.Problem(ex.Message, statusCode: ex.StatusCode);
        }
        var parsed = SendRequests.Parse(body);
        if (parsed.Errors is { } errors) return TypedResults.ValidationProblem(errors, title: parsed.Title);
        var request = parsed.Request!;
        var validation = await validator.ValidateAsync(request, ct);
        if (!validation.IsValid) return TypedResults.ValidationProblem(validation.ToDictionary());

        var submission = SendRequests.ToSubmission(request, user.AccountId(), HttpTrace.Of(http), composer, clock);
        return await SubmitOneAsync(submission, key, http, body, submissions, json.Value.SerializerOptions, clock, ct);
    }

    /// <summary>
    /// Submits one message and answers for it (202 with its id, or its problem). With an Idempotency-Key
    /// the 202 is stored with the key, and a retry of the same request gets that answer back.
    /// </summary>
    internal static async Task<Results<Accepted<SendMessageResponse>, ContentHttpResult, ValidationProblem, ProblemHttpResult>> SubmitOneAsync(
        Submission submission, string? key, HttpRequest http, byte[] body, SubmissionService submissions, JsonSerializerOptions json,
        TimeProvider clock, CancellationToken ct)
    {
        if (key is null)
            return Answer(await submissions.SubmitAsync(submission, ct), http.HttpContext.Response, clock);

        var idempotency = new IdempotencyRequest(key, IdempotencyKeys.Hash(http, body), answers => answers[0] switch
        {
            Submitted.Accepted accepted => new StoredResponse(StatusCodes.Status202Accepted, Location(accepted),
                JsonSerializer.Serialize(Response(accepted), json)),
            var other => throw new UnreachableException(other.ToString()),
        });
        return await submissions.SubmitManyAsync([submission], idempotency, ct) switch
        {
            BatchSubmitted.Completed completed => Answer(completed.Items[0], http.HttpContext.Response, clock),
            BatchSubmitted.Replayed replayed => IdempotencyKeys.Replay(http.HttpContext.Response, replayed.Response),
            BatchSubmitted.KeyReused => IdempotencyKeys.Reused(),
            BatchSubmitted.Unavailable unavailable => TypedResults.Problem(unavailable.PublicReason, statusCode: StatusCodes.Status503ServiceUnavailable),
            var other => throw new UnreachableException(other.ToString()),
        };
    }

    internal static Results<Accepted<SendMessageResponse>, ContentHttpResult, ValidationProblem, ProblemHttpResult> Answer(
        Submitted submitted, HttpResponse response, TimeProvider clock) => submitted switch
    {
        Submitted.Accepted accepted => TypedResults.Accepted(Location(accepted), Response(accepted)),
        Submitted.Rejected { Kind: RejectionKind.NoRecipients or RejectionKind.TooManyRecipients } rejected =>
            TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["to"] = [rejected.PublicReason] }),
        Submitted.Rejected rejected => SubmissionProblems.Result(rejected, response, clock),
        Submitted.Unavailable unavailable => TypedResults.Problem(unavailable.PublicReason, statusCode: StatusCodes.Status503ServiceUnavailable),
        var other => throw new UnreachableException(other.ToString()),
    };

    internal static string Location(Submitted.Accepted accepted) => $"/v1/messages/{accepted.Id}";

    internal static SendMessageResponse Response(Submitted.Accepted accepted) =>
        new(accepted.Id.ToString(), "queued", accepted.Recipients.Select(r => new RecipientState(r, "queued")).ToArray());
}

public sealed record SendMessageRequest(
    AddressInput? From,
    AddressList? To,
    AddressList? Cc,
    AddressList? Bcc,
    AddressList? ReplyTo,
    string? Subject,
    string? Text,
    string? Html,
    Dictionary<string, string>? Headers,
    List<AttachmentInput>? Attachments,
    List<string>? Tags,
    Dictionary<string, string>? Metadata,
    DateTimeOffset? SendAt = null);

public sealed record AttachmentInput(string? Filename, string? Content, string? ContentType, string? ContentId);

public sealed record SendMessageResponse(string Id, string Status, IReadOnlyList<RecipientState> Recipients);

public sealed record RecipientState(string Email, string Status);
