using System.Diagnostics;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using EmailApi.Accounts;
using EmailApi.Queue;
using Microsoft.AspNetCore.Http.HttpResults;

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
            .WithDescription("Builds the MIME message, stores it durably and answers 202 once it is committed. Delivery happens in the background; follow it at the Location returned.")
            .WithTags("Sending")
            .Accepts<SendMessageRequest>("application/json")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .RequireAuthorization(Scopes.Send);
        return v1;
    }

    internal static async Task<Results<Accepted<SendMessageResponse>, ValidationProblem, ProblemHttpResult>> HandleAsync(
        HttpRequest http, ClaimsPrincipal user, SendMessageValidator validator, MessageComposer composer,
        SubmissionService submissions, TimeProvider clock, CancellationToken ct)
    {
        if (!http.HasJsonContentType())
            return TypedResults.Problem("Send the message as JSON with 'Content-Type: application/json'.", statusCode: StatusCodes.Status415UnsupportedMediaType);

        SendMessageRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<SendMessageRequest>(http.Body, RequestJson, ct);
        }
        catch (JsonException ex)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [FieldOf(ex.Path)] = [Describe(ex)] },
                title: "The request body is not valid JSON for a message.");
        }
        catch (BadHttpRequestException ex)
        {
            return TypedResults.Problem(ex.Message, statusCode: ex.StatusCode);
        }
        if (request is null)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["$"] = ["The body must be a JSON object."] });

        var validation = await validator.ValidateAsync(request, ct);
        if (!validation.IsValid) return TypedResults.ValidationProblem(validation.ToDictionary());

        var id = MessageId.New(clock);
        var raw = composer.Compose(id, request);
        var recipients = request.To.OrEmpty().Concat(request.Cc.OrEmpty()).Concat(request.Bcc.OrEmpty()).Select(a => a.Email).ToArray();
        var submission = new Submission(id, user.AccountId(), MessageSource.Api, request.From!.Email, recipients, raw,
            request.From.ToString(), request.Subject, request.Tags ?? [], request.Metadata);

        return await submissions.SubmitAsync(submission, ct) switch
        {
            Submitted.Accepted accepted => TypedResults.Accepted($"/v1/messages/{accepted.Id}",
                new SendMessageResponse(accepted.Id.ToString(), "queued", accepted.Recipients.Select(r => new RecipientState(r, "queued")).ToArray())),
            Submitted.Rejected { Kind: RejectionKind.TooLarge } rejected =>
                TypedResults.Problem(rejected.PublicReason, statusCode: StatusCodes.Status413PayloadTooLarge, title: "Message too large"),
            Submitted.Rejected rejected => TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["to"] = [rejected.PublicReason] }),
            Submitted.Unavailable unavailable => TypedResults.Problem(unavailable.PublicReason, statusCode: StatusCodes.Status503ServiceUnavailable),
            var other => throw new UnreachableException(other.ToString()),
        };
    }

    private static string FieldOf(string? path) =>
        string.IsNullOrEmpty(path) || path == "$" ? "$" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path;

    private static string Describe(JsonException ex) => ex switch
    {
        { InnerException: InvalidOperationException or FormatException } => "This field has the wrong type.",
        _ when ex.Message.Contains("could not be mapped", StringComparison.Ordinal) => "Unknown field.",
        _ when ex.Message.Contains("could not be converted", StringComparison.Ordinal) => "This field has the wrong type.",
        _ => ex.Message.Split(" Path:", 2)[0].Split(" LineNumber:", 2)[0],
    };
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
    Dictionary<string, string>? Metadata);

public sealed record AttachmentInput(string? Filename, string? Content, string? ContentType, string? ContentId);

public sealed record SendMessageResponse(string Id, string Status, IReadOnlyList<RecipientState> Recipients);

public sealed record RecipientState(string Email, string Status);
