using System.Text.Json;
using EmailApi.Accounts;
using EmailApi.Sending;
using MimeKit;

namespace EmailApi.Compat.Postmark;

/// <summary>
/// Postmark's send API (<c>POST /email</c>, <c>POST /email/batch</c>, <c>X-Postmark-Server-Token: KEY</c>)
/// on the native submission. Answers <c>{To, SubmittedAt, MessageID, ErrorCode: 0, Message: "OK"}</c>;
/// errors carry Postmark's documented ErrorCode: 10 bad token, 300 invalid request, 402 invalid JSON,
/// 400/401 sender not allowed/not verified, 405 not allowed to send, 406 every recipient inactive (on
/// the suppression list; the message is logged with them suppressed, as a native send would be).
/// </summary>
public static class PostmarkEndpoints
{
    public const int MaxBatch = 500;
    private const string TokenHeader = "X-Postmark-Server-Token";
    private static readonly JsonSerializerOptions Json = CompatRequests.Json(null);

    public static IEndpointRouteBuilder MapPostmark(this IEndpointRouteBuilder app)
    {
        app.MapPost("/email", SendAsync)
            .WithName("PostmarkSendEmail")
            .WithSummary("Postmark: send an email")
            .WithTags("Postmark")
            .Documents<PostmarkEmail>("application/json")
            .ProducesErrors<PostmarkResult>(200, 401, 422, 429, 503)
            .AllowAnonymous();
        app.MapPost("/email/batch", SendBatchAsync)
            .WithName("PostmarkSendBatch")
            .WithSummary("Postmark: send up to 500 emails, one result each")
            .WithTags("Postmark")
            .Documents<List<PostmarkEmail>>("application/json")
            .Produces<List<PostmarkResult>>(StatusCodes.Status200OK)
            .ProducesErrors<PostmarkResult>(401, 422, 503)
            .AllowAnonymous();
        return app;
    }

    internal static async Task<IResult> SendAsync(HttpRequest http, ApiKeyAuthenticator keys, CompatSender sender, TimeProvider clock, CancellationToken ct)
    {
        var (key, body, refusal) = await OpenAsync(http, keys, ct);
        if (refusal is not null) return refusal;
        var (email, problem) = Read(JsonSerializer.Deserialize<JsonElement>(body!));
        if (problem is not null) return Answer(problem);
        var results = await SendAllAsync([email!], key!.AccountId, http, sender, clock, ct);
        return results is null ? Unavailable() : Answer(results[0]);
    }

    internal static async Task<IResult> SendBatchAsync(HttpRequest http, ApiKeyAuthenticator keys, CompatSender sender, TimeProvider clock, CancellationToken ct)
    {
        var (key, body, refusal) = await OpenAsync(http, keys, ct);
        if (refusal is not null) return refusal;
        var root = JsonSerializer.Deserialize<JsonElement>(body!);
        if (root.ValueKind != JsonValueKind.Array) return Answer(Failure(402, "Received invalid JSON input: the batch must be a JSON array of messages."));
        if (root.GetArrayLength() > MaxBatch) return Answer(Failure(300, $"Invalid email request: at most {MaxBatch} messages per batch; got {root.GetArrayLength()}."));

        var read = root.EnumerateArray().Select(Read).ToArray();
        var valid = read.Where(r => r.Problem is null).Select(r => r.Email!).ToArray();
        var sent = valid.Length == 0 ? [] : await SendAllAsync(valid, key!.AccountId, http, sender, clock, ct);
        if (sent is null) return Unavailable();
        var k = 0;
        return Results.Json(read.Select(r => r.Problem ?? sent[k++]).ToArray(), Json);
    }

    /// <summary>The token, then the body as JSON: Postmark's 401 (ErrorCode 10) and 422 (402 invalid JSON) when either is wrong.</summary>
    private static async Task<(StoredKey? Key, byte[]? Body, IResult? Refusal)> OpenAsync(HttpRequest http, ApiKeyAuthenticator keys, CancellationToken ct)
    {
        string? token = http.Headers[TokenHeader];
        if (string.IsNullOrWhiteSpace(token))
            return (null, null, Answer(Failure(10, $"No Account or Server API tokens were supplied in the HTTP headers. Please add a header for {TokenHeader}."),
                StatusCodes.Status401Unauthorized));
        if (await CompatRequests.KeyAsync(keys, token, ct) is not { } key)
            return (null, null, Answer(Failure(10, $"The Server Token you provided in the {TokenHeader} request header was invalid. Please verify that you are using a valid token."),
                StatusCodes.Status401Unauthorized));
        if (!key.Scopes.Contains(Scopes.Send))
            return (null, null, Answer(Failure(10, "This token does not have the send scope."), StatusCodes.Status401Unauthorized));
        if (!http.HasJsonContentType())
            return (null, null, Answer(Failure(409, "JSON Required: send the request with 'Content-Type: application/json'.")));
        var (body, status) = await CompatRequests.ReadAsync(http, ct);
        if (body is null)
            return (null, null, Answer(Failure(300, status == StatusCodes.Status413PayloadTooLarge ? "Invalid email request: the request is too large." : "The request body could not be read.")));
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException)
        {
            return (null, null, Answer(Failure(402, "Received invalid JSON input.")));
        }
        return (key, body, null);
    }

    private static (SendMessageRequest? Email, PostmarkResult? Problem) Read(JsonElement item)
    {
        PostmarkEmail? email;
        try
        {
            email = item.Deserialize<PostmarkEmail>(Json);
        }
        catch (JsonException ex)
        {
            return (null, Failure(300, $"Invalid email request: '{SendRequests.FieldOf(ex.Path)}' has the wrong type."));
        }
        if (email is null) return (null, Failure(300, "Invalid email request: each message must be a JSON object."));
        var unsupported = CompatRequests.FirstUnknown(email.Unknown)
            ?? (email.TrackOpens == true ? "TrackOpens" : null)
            ?? (email.TrackLinks is { } links && !links.Equals("None", StringComparison.OrdinalIgnoreCase) ? "TrackLinks" : null)
            ?? email.Headers?.Select((h, i) => h is null ? $"Headers[{i}]" : CompatRequests.FirstUnknown(h.Unknown, $"Headers[{i}].")).FirstOrDefault(f => f is not null)
            ?? email.Attachments?.Select((a, i) => a is null ? $"Attachments[{i}]" : CompatRequests.FirstUnknown(a.Unknown, $"Attachments[{i}].")).FirstOrDefault(f => f is not null);
        if (unsupported is not null) return (null, Failure(300, $"Invalid email request: '{unsupported}' is not supported by EmailApi's Postmark-compatible endpoint."));
        if (string.IsNullOrWhiteSpace(email.To) && string.IsNullOrWhiteSpace(email.Cc) && string.IsNullOrWhiteSpace(email.Bcc))
            return (null, Failure(300, "Zero recipients specified"));

        var lists = new Dictionary<string, AddressList?>();
        foreach (var (field, text) in new[] { ("From", email.From), ("To", email.To), ("Cc", email.Cc), ("Bcc", email.Bcc), ("ReplyTo", email.ReplyTo) })
        {
            if (string.IsNullOrWhiteSpace(text)) { lists[field] = null; continue; }
            if (!InternetAddressList.TryParse(ParserOptions.Default, text, out var parsed) || parsed.Count == 0 || parsed.Count != parsed.Mailboxes.Count())
                return (null, Failure(300, $"Error parsing '{field}': Illegal email address '{text}'."));
            lists[field] = new AddressList(parsed.Mailboxes.Select(m => new AddressInput(m.Address, string.IsNullOrWhiteSpace(m.Name) ? null : m.Name)));
        }
        if (lists["From"] is not [var from]) return (null, Failure(300, "Invalid 'From' address: give exactly one sender."));

        var tags = new List<string>();
        if (!string.IsNullOrEmpty(email.Tag)) tags.Add(email.Tag);
        if (email.MessageStream is { Length: > 0 } stream && !stream.Equals("outbound", StringComparison.OrdinalIgnoreCase)) tags.Add(stream);
        return (new SendMessageRequest(from, lists["To"], lists["Cc"], lists["Bcc"], lists["ReplyTo"], email.Subject, email.TextBody, email.HtmlBody,
            email.Headers?.GroupBy(h => h.Name ?? "").ToDictionary(g => g.Key, g => g.Last().Value!),
            email.Attachments?.Select(a => new AttachmentInput(a.Name, CompatRequests.Base64(a.Content), a.ContentType,
                a.ContentID is { } cid ? (cid.StartsWith("cid:", StringComparison.OrdinalIgnoreCase) ? cid[4..] : cid) : null)).ToList(),
            tags.Count > 0 ? tags : null, email.Metadata), null);
    }

    /// <summary>One result per message, in order; null when the queue is unavailable.</summary>
    private static async Task<PostmarkResult[]?> SendAllAsync(IReadOnlyList<SendMessageRequest> emails, string accountId, HttpRequest http,
        CompatSender sender, TimeProvider clock, CancellationToken ct)
    {
        if (await sender.SendAsync(emails, accountId, http, null, allOrNothing: false, validateOnly: false, ct) is not CompatOutcome.Completed { Items: var items })
            return null;
        var results = new PostmarkResult[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            results[i] = items[i] switch
            {
                CompatItem.Invalid invalid => Failure(300, "Invalid email request: " + string.Join(" ", invalid.Errors.SelectMany(e =>
                    e.Value.Select(m => $"{CompatFields.Map(e.Key, Roots)}: {m}")))),
                CompatItem.Done { Submitted: Submitted.Accepted accepted } => await AcceptedAsync(emails[i], accepted, accountId, sender, clock, ct),
                CompatItem.Done { Submitted: Submitted.Rejected rejected } => Refused(rejected, http.HttpContext.Response, clock),
                _ => Failure(100, "The queue is unavailable; try again later."),
            };
        }
        return results;
    }

    private static async Task<PostmarkResult> AcceptedAsync(SendMessageRequest email, Submitted.Accepted accepted, string accountId, CompatSender sender,
        TimeProvider clock, CancellationToken ct)
    {
        var inactive = await sender.SuppressedAsync(accountId, accepted, ct);
        if (inactive.Count > 0 && inactive.Count == accepted.Recipients.Count)
            return Failure(406, $"You tried to send to recipient(s) that have been marked as inactive. Found inactive addresses: {string.Join(", ", inactive)}. " +
                "Inactive recipients are ones that have generated a hard bounce, a spam complaint, or a manual suppression.");
        var to = string.Join(", ", email.To.OrEmpty().Select(a => a.ToString()));
        return new PostmarkResult(to, clock.GetUtcNow(), accepted.Id.ToString(), 0,
            inactive.Count == 0 ? "OK" : $"Message OK, but will not deliver to these inactive addresses: {string.Join(", ", inactive)}.");
    }

    /// <summary>The refusal in Postmark's codes; a quota or rate also sets Retry-After and RateLimit-* as the native answer does.</summary>
    private static PostmarkResult Refused(Submitted.Rejected rejected, HttpResponse response, TimeProvider clock)
    {
        if (rejected.Limit is { } limit) SubmissionProblems.AddLimitHeaders(response, limit, clock);
        return Code(rejected);
    }

    private static PostmarkResult Code(Submitted.Rejected rejected) => rejected.Kind switch
    {
        RejectionKind.SenderDomainNotAllowed => Failure(400, "Sender Signature not defined: " + rejected.PublicReason),
        RejectionKind.DomainNotVerified => Failure(401, "Sender signature not confirmed: " + rejected.PublicReason),
        RejectionKind.QuotaExceeded or RejectionKind.AccountDisabled => Failure(405, "Not allowed to send: " + rejected.PublicReason),
        RejectionKind.RateLimited => Failure(429, rejected.PublicReason),
        _ => Failure(300, "Invalid email request: " + rejected.PublicReason),
    };

    private static readonly Dictionary<string, string> Roots = new()
    {
        ["from"] = "From", ["to"] = "To", ["cc"] = "Cc", ["bcc"] = "Bcc", ["replyTo"] = "ReplyTo", ["subject"] = "Subject", ["text"] = "TextBody",
        ["html"] = "HtmlBody", ["headers"] = "Headers", ["attachments"] = "Attachments", ["tags"] = "Tag", ["metadata"] = "Metadata", ["unsubscribe"] = "MessageStream",
    };

    private static PostmarkResult Failure(int code, string message) => new(null, null, null, code, message);

    private static IResult Unavailable() => Answer(Failure(100, "The queue is unavailable; try again later."), StatusCodes.Status503ServiceUnavailable);

    /// <summary>A single message's answer: 200 for ErrorCode 0, 429 for a rate, else 422 (Postmark's status for request errors).</summary>
    private static IResult Answer(PostmarkResult result, int? status = null) => Results.Json(result, Json, statusCode: status ?? result.ErrorCode switch
    {
        0 => StatusCodes.Status200OK,
        429 => StatusCodes.Status429TooManyRequests,
        100 => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status422UnprocessableEntity,
    });
}
