using System.Diagnostics;
using System.Text.Json;
using EmailApi.Accounts;
using EmailApi.Messages;
using EmailApi.Queue;
using EmailApi.Sending;

namespace EmailApi.Compat.Resend;

/// <summary>
/// Resend's emails API (<c>POST /emails</c>, <c>POST /emails/batch</c>, <c>GET /emails/{id}</c>,
/// <c>Authorization: Bearer KEY</c>, <c>Idempotency-Key</c>) on the native submission and message log.
/// Answers <c>{id}</c>; errors as <c>{statusCode, message, name}</c> with Resend's names. Another
/// account's id answers 404 exactly like an unknown one.
/// </summary>
public static class ResendEndpoints
{
    public const int MaxBatch = 100;
    private static readonly JsonSerializerOptions Json = CompatRequests.Json(JsonNamingPolicy.SnakeCaseLower);

    public static IEndpointRouteBuilder MapResend(this IEndpointRouteBuilder app)
    {
        Send(app.MapPost("/emails", SendAsync), "ResendSendEmail", "Resend: send an email")
            .Documents<ResendEmail>("application/json")
            .Produces<ResendId>(StatusCodes.Status200OK);
        Send(app.MapPost("/emails/batch", SendBatchAsync), "ResendSendBatch", "Resend: send up to 100 emails")
            .Documents<List<ResendEmail>>("application/json")
            .Produces<ResendBatchAnswer>(StatusCodes.Status200OK);
        app.MapGet("/emails/{id}", GetAsync)
            .WithName("ResendGetEmail")
            .WithSummary("Resend: retrieve an email")
            .WithTags("Resend")
            .Produces<ResendEmailView>(StatusCodes.Status200OK)
            .ProducesErrors<ResendError>(401, 403, 404)
            .AllowAnonymous();
        return app;
    }

    private static RouteHandlerBuilder Send(RouteHandlerBuilder route, string name, string summary) => route
        .WithName(name)
        .WithSummary(summary)
        .WithTags("Resend")
        .ProducesErrors<ResendError>(400, 401, 403, 409, 422, 429, 503)
        .AllowAnonymous();

    internal static async Task<IResult> SendAsync(HttpRequest http, ApiKeyAuthenticator keys, CompatSender sender, TimeProvider clock, CancellationToken ct)
    {
        var (key, body, idempotency, refusal) = await OpenAsync(http, keys, Scopes.Send, ct);
        if (refusal is not null) return refusal;
        JsonElement root = JsonSerializer.Deserialize<JsonElement>(body!);
        var (email, problem) = Read(root, "");
        if (problem is not null) return Answer(problem);
        idempotency = idempotency is null ? null : idempotency with { Respond = answers => Stored(new ResendId(Id(answers[0]))) };
        var outcome = await sender.SendAsync([email!], key!.AccountId, http, idempotency, allOrNothing: true, validateOnly: false, ct);
        return Finish(outcome, http, clock, items => items[0] switch
        {
            CompatItem.Done { Submitted: Submitted.Accepted a } => Results.Json(new ResendId(a.Id.ToString()), Json),
            var other => Failed(other, "")!,
        });
    }

    internal static async Task<IResult> SendBatchAsync(HttpRequest http, ApiKeyAuthenticator keys, CompatSender sender, TimeProvider clock, CancellationToken ct)
    {
        var (key, body, idempotency, refusal) = await OpenAsync(http, keys, Scopes.Send, ct);
        if (refusal is not null) return refusal;
        var root = JsonSerializer.Deserialize<JsonElement>(body!);
        if (root.ValueKind != JsonValueKind.Array) return Error(422, "validation_error", "The batch must be a JSON array of emails.");
        if (root.GetArrayLength() is 0 or > MaxBatch) return Error(422, "validation_error", $"A batch holds 1 to {MaxBatch} emails; got {root.GetArrayLength()}.");
        var permissive = string.Equals(http.Headers["x-batch-validation"], "permissive", StringComparison.OrdinalIgnoreCase);

        var read = root.EnumerateArray().Select((item, i) => Read(item, $"[{i}].")).ToArray();
        var errors = new List<ResendBatchError>();
        for (var i = 0; i < read.Length; i++)
            if (read[i].Problem is not null)
            {
                if (!permissive) return Answer(read[i].Problem!);
                errors.Add(new ResendBatchError(i, read[i].Problem!.Message));
            }
        var positions = Enumerable.Range(0, read.Length).Where(i => read[i].Problem is null).ToArray();
        if (positions.Length == 0) return Results.Json(new ResendBatchAnswer([], errors), Json);

        idempotency = idempotency is null ? null : idempotency with
        {
            Respond = answers => Stored(new ResendBatchAnswer(answers.OfType<Submitted.Accepted>().Select(a => new ResendId(a.Id.ToString())).ToArray())),
        };
        var outcome = await sender.SendAsync(positions.Select(i => read[i].Email!).ToArray(), key!.AccountId, http, idempotency,
            allOrNothing: !permissive, validateOnly: false, ct);
        return Finish(outcome, http, clock, items =>
        {
            var ids = new List<ResendId>();
            for (var k = 0; k < items.Count; k++)
            {
                if (items[k] is CompatItem.Done { Submitted: Submitted.Accepted a }) { ids.Add(new ResendId(a.Id.ToString())); continue; }
                if (!permissive) return Failed(items[k], $"[{positions[k]}].")!;
                errors.Add(new ResendBatchError(positions[k], Describe(items[k])));
            }
            return Results.Json(new ResendBatchAnswer(ids, permissive ? errors : null), Json);
        });
    }

    internal static async Task<IResult> GetAsync(string id, HttpRequest http, ApiKeyAuthenticator keys, IQueueStore store, CancellationToken ct)
    {
        var (key, _, _, refusal) = await OpenAsync(http, keys, Scopes.Read, ct, readBody: false);
        if (refusal is not null) return refusal;
        // Another account's message answers exactly like a missing one.
        if (!MessageId.TryParse(id, out var messageId) || await store.FindMessageAsync(key!.AccountId, messageId, ct) is not { } m)
            return Error(404, "not_found", "Email not found");
        return Results.Json(new ResendEmailView("email", m.Id.ToString(), m.Recipients.Select(r => r.Email).ToArray(), m.HeaderFrom ?? m.EnvelopeFrom,
            m.CreatedAt, m.Subject, null, null, null, null, null, LastEvent(MessageResponse.RollUp(m.Recipients.Select(r => r.Status).ToArray())), null,
            (m.Metadata ?? new Dictionary<string, string>()).Select(kv => new ResendTag(kv.Key, kv.Value)).ToArray()), Json);
    }

    internal static string LastEvent(string rollUp) => rollUp switch
    {
        "queued" or "sending" => "queued",
        "deferred" => "delivery_delayed",
        "delivered" or "partially_delivered" => "delivered",
        "bounced" or "undelivered" => "bounced",
        "cancelled" => "canceled",
        "complained" => "complained",
        "failed" => "failed",
        "suppressed" => "suppressed",
        var other => throw new UnreachableException($"Message status '{other}' has no Resend last_event."),
    };

    private static async Task<(StoredKey? Key, byte[]? Body, IdempotencyRequest? Idempotency, IResult? Refusal)> OpenAsync(HttpRequest http,
        ApiKeyAuthenticator keys, string scope, CancellationToken ct, bool readBody = true)
    {
        var presented = CompatRequests.Bearer(http);
        if (string.IsNullOrWhiteSpace(presented))
            return (null, null, null, Error(401, "missing_api_key", "Missing API key in the authorization header. Include the following header in the request: Authorization: Bearer YOUR_API_KEY"));
        if (await CompatRequests.KeyAsync(keys, presented, ct) is not { } key) return (null, null, null, Error(403, "invalid_api_key", "API key is invalid"));
        if (!key.Scopes.Contains(scope)) return (null, null, null, Error(401, "restricted_api_key", $"This API key lacks the '{scope}' scope this request needs."));
        if (!readBody) return (key, null, null, null);
        if (IdempotencyKeys.TryRead(http, out var idempotencyKey) is not null)
            return (null, null, null, Error(400, "invalid_idempotency_key", $"The Idempotency-Key must be 1 to {IdempotencyRequest.MaxKeyLength} visible ASCII characters."));
        if (!http.HasJsonContentType()) return (null, null, null, Error(422, "validation_error", "Send the request with 'Content-Type: application/json'."));
        var (body, status) = await CompatRequests.ReadAsync(http, ct);
        if (body is null) return (null, null, null, Error(status == 413 ? 413 : 400, "validation_error", status == 413 ? "The request is too large." : "The request body could not be read."));
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException)
        {
            return (null, null, null, Error(422, "validation_error", "The request body is not valid JSON."));
        }
        var idempotency = idempotencyKey is null ? null : new IdempotencyRequest(idempotencyKey, IdempotencyKeys.Hash(http, body), _ => throw new InvalidOperationException());
        return (key, body, idempotency, null);
    }

    private static (SendMessageRequest? Email, ResendError? Problem) Read(JsonElement item, string prefix)
    {
        ResendEmail? email;
        try
        {
            email = item.Deserialize<ResendEmail>(Json);
        }
        catch (JsonException ex)
        {
            return (null, Problem(422, "validation_error", $"Invalid `{prefix}{SendRequests.FieldOf(ex.Path)}` field: wrong type (times are ISO 8601)."));
        }
        if (email is null) return (null, Problem(422, "validation_error", "Each email must be a JSON object."));
        var unsupported = CompatRequests.FirstUnknown(email.Unknown)
            ?? email.Attachments?.Select((a, i) => a is null ? $"attachments[{i}]" : CompatRequests.FirstUnknown(a.Unknown, $"attachments[{i}].")).FirstOrDefault(f => f is not null)
            ?? email.Tags?.Select((t, i) => t is null ? $"tags[{i}]" : CompatRequests.FirstUnknown(t.Unknown, $"tags[{i}].")).FirstOrDefault(f => f is not null);
        if (unsupported is not null) return (null, Problem(422, "validation_error", $"`{prefix}{unsupported}` is not supported by EmailApi's Resend-compatible endpoint."));
        foreach (var (field, missing) in new[] { ("from", email.From is null), ("to", email.To is not { Count: > 0 }), ("subject", email.Subject is null) })
            if (missing) return (null, Problem(422, "missing_required_field", $"Missing `{prefix}{field}` field."));
        if (email.To!.Count > 50) return (null, Problem(422, "validation_error", $"Invalid `{prefix}to` field: at most 50 recipients."));
        for (var i = 0; i < (email.Tags?.Count ?? 0); i++)
            if (!IsTagPart(email.Tags![i].Name) || !IsTagPart(email.Tags[i].Value))
                return (null, Problem(422, "validation_error", $"Invalid `{prefix}tags[{i}]`: name and value may only contain ASCII letters, numbers, underscores, or dashes (1 to 256)."));

        return (new SendMessageRequest(email.From, email.To, email.Cc, email.Bcc, email.ReplyTo, email.Subject, email.Text, email.Html, email.Headers,
            email.Attachments?.Select(a => new AttachmentInput(a.Filename, CompatRequests.Base64(a.Content), a.ContentType, a.ContentId)).ToList(),
            null, email.Tags?.GroupBy(t => t.Name!).ToDictionary(g => g.Key, g => g.Last().Value!), email.ScheduledAt), null);
    }

    private static bool IsTagPart(string? s) => s is { Length: > 0 and <= 256 } && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');

    private static IResult Finish(CompatOutcome outcome, HttpRequest http, TimeProvider clock, Func<IReadOnlyList<CompatItem>, IResult> completed) => outcome switch
    {
        CompatOutcome.Completed c => WithLimitHeaders(c.Items, http, clock, completed),
        CompatOutcome.Whole { Submitted: BatchSubmitted.Replayed r } => IdempotencyKeys.Replay(http.HttpContext.Response, r.Response),
        CompatOutcome.Whole { Submitted: BatchSubmitted.KeyReused } =>
            Error(409, "invalid_idempotent_request", "Same idempotency key used with a different request payload. Change your idempotency key or payload."),
        CompatOutcome.Whole w => Error(503, "application_error", w.UnavailableReason),
        _ => Error(503, "application_error", "Try again later."),
    };

    private static IResult WithLimitHeaders(IReadOnlyList<CompatItem> items, HttpRequest http, TimeProvider clock, Func<IReadOnlyList<CompatItem>, IResult> answer)
    {
        if (items.OfType<CompatItem.Done>().Select(d => d.Submitted).OfType<Submitted.Rejected>().FirstOrDefault(r => r.Limit is not null) is { Limit: { } limit })
            SubmissionProblems.AddLimitHeaders(http.HttpContext.Response, limit, clock);
        return answer(items);
    }

    /// <summary>The error for a message that was not accepted; null for one that was.</summary>
    private static IResult? Failed(CompatItem item, string prefix) => item switch
    {
        CompatItem.Invalid invalid => invalid.Errors.First() is var (field, messages)
            ? Error(422, "validation_error", $"Invalid `{prefix}{CompatFields.Map(field, Roots)}` field: {messages[0]}") : null,
        CompatItem.Done { Submitted: Submitted.Rejected r } => r.Kind switch
        {
            RejectionKind.QuotaExceeded => Error(429, "monthly_quota_exceeded", r.PublicReason),
            RejectionKind.RateLimited => Error(429, "rate_limit_exceeded", r.PublicReason),
            RejectionKind.SenderDomainNotAllowed or RejectionKind.DomainNotVerified or RejectionKind.AccountDisabled => Error(403, "validation_error", r.PublicReason),
            _ => Error(422, "validation_error", r.PublicReason),
        },
        CompatItem.Done { Submitted: Submitted.Unavailable u } => Error(503, "application_error", u.PublicReason),
        _ => null,
    };

    private static string Describe(CompatItem item) => item switch
    {
        CompatItem.Invalid invalid => string.Join(" ", invalid.Errors.Select(e => $"{CompatFields.Map(e.Key, Roots)}: {e.Value[0]}")),
        CompatItem.Done { Submitted: Submitted.Rejected r } => r.PublicReason,
        CompatItem.Done { Submitted: Submitted.Unavailable u } => u.PublicReason,
        _ => "Not sent.",
    };

    private static readonly Dictionary<string, string> Roots = new()
    {
        ["replyTo"] = "reply_to", ["sendAt"] = "scheduled_at", ["metadata"] = "tags", ["unsubscribe"] = "tags",
    };

    private static string Id(Submitted s) => s is Submitted.Accepted a ? a.Id.ToString() : "";

    private static StoredResponse Stored<T>(T answer) => new(StatusCodes.Status200OK, null, JsonSerializer.Serialize(answer, Json));

    private static ResendError Problem(int status, string name, string message) => new(status, message, name);

    private static IResult Answer(ResendError error) => Results.Json(error, Json, statusCode: error.StatusCode);

    private static IResult Error(int status, string name, string message) => Answer(Problem(status, name, message));
}
