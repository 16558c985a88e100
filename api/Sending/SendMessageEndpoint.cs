using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using EmailApi.Accounts;
using EmailApi.Queue;
using EmailApi.Unsubscribe;
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
        SubmissionService submissions, UnsubscribeService unsubscribe, AccountDirectory accounts, IOptions<JsonOptions> json, TimeProvider clock,
        CancellationToken ct)
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
        var (request, defaultErrors) = UnsubscribeDefault.Apply(parsed.Request!, await accounts.FindAsync(user.AccountId(), ct));
        if (defaultErrors is not null) return TypedResults.ValidationProblem(defaultErrors);
        var validation = await validator.ValidateAsync(request, ct);
        if (!validation.IsValid) return TypedResults.ValidationProblem(validation.ToDictionary());

        var links = request.Unsubscribe == true ? await unsubscribe.LinksAsync(ct) : null;
        var submission = SendRequests.ToSubmission(request, user.AccountId(), HttpTrace.Of(http), composer, clock, links);
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

[Description("A message to build and queue. At least one recipient (to, cc or bcc; bcc appears in no header) and at least one of text or html are required; unknown fields are refused.")]
public sealed record SendMessageRequest(
    [property: Required] AddressInput? From,
    AddressList? To,
    AddressList? Cc,
    AddressList? Bcc,
    AddressList? ReplyTo,
    [property: Description("One line, at most 998 characters.")] string? Subject,
    [property: Description("The plain-text body.")] string? Text,
    [property: Description("The HTML body; sent as multipart/alternative with text when both are given.")] string? Html,
    [property: Description("Extra header fields by name; headers the service sets itself (From, To, Subject, Date, Message-ID, MIME headers...) are refused.")]
    Dictionary<string, string>? Headers,
    List<AttachmentInput>? Attachments,
    [property: Description("Labels for the message log and webhooks (filter with GET /v1/messages?tag=).")] List<string>? Tags,
    [property: Description("Your own key-value pairs, returned with the message and in webhook events.")] Dictionary<string, string>? Metadata,
    [property: Description("When to deliver (RFC 3339), at most 30 days ahead; absent: now.")] DateTimeOffset? SendAt = null,
    [property: Description("Adds one-click unsubscribe (RFC 8058): List-Unsubscribe with a link for the recipient and List-Unsubscribe-Post, both DKIM-signed. " +
        "The link is the recipient's own, so the message must have exactly one recipient (send to many with POST /v1/send/batch); needs Http:PublicBaseUrl. " +
        "A click adds the recipient to the account's suppression list and sends the event message.unsubscribed. " +
        "Absent: true when the message has one of the account's unsubscribeTags (new accounts: broadcast), else false; false opts out.")]
    bool? Unsubscribe = null);

public sealed record AttachmentInput(
    [property: Required] string? Filename,
    [property: Required, Description("The file's bytes, base64-encoded.")] string? Content,
    [property: Description("The MIME type, e.g. application/pdf; default: guessed from the file name.")] string? ContentType,
    [property: Description("Makes the attachment inline, for <img src=\"cid:...\"> in the HTML.")] string? ContentId);

public sealed record SendMessageResponse(string Id, [property: AllowedValues("queued")] string Status, IReadOnlyList<RecipientState> Recipients);

public sealed record RecipientState(string Email, [property: AllowedValues("queued")] string Status);
