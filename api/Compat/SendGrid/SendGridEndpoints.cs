using System.Text.Json;
using EmailApi.Accounts;
using EmailApi.Sending;

namespace EmailApi.Compat.SendGrid;

/// <summary>
/// SendGrid's v3 mail send (<c>POST /v3/mail/send</c>, <c>Authorization: Bearer KEY</c>) on the native
/// submission: each personalization is one message; all of them are checked before any is stored, so a
/// request is refused whole like SendGrid does. 202 with an empty body and <c>X-Message-Id</c>; errors as
/// <c>{"errors":[{"message","field","help"}]}</c> with SendGrid's status codes.
/// </summary>
public static class SendGridEndpoints
{
    private const string Help = "https://github.com/emailapi/emailapi/blob/main/docs/compat.md#sendgrid";
    private static readonly JsonSerializerOptions Json = CompatRequests.Json(JsonNamingPolicy.SnakeCaseLower);

    public static IEndpointRouteBuilder MapSendGrid(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v3/mail/send", SendAsync)
            .WithName("SendGridMailSend")
            .WithSummary("SendGrid v3: send mail")
            .WithTags("SendGrid")
            .Documents<SendGridMail>("application/json")
            .Produces(StatusCodes.Status202Accepted)
            .Produces(StatusCodes.Status200OK)
            .ProducesErrors<SendGridErrors>(400, 401, 403, 413, 429, 503)
            .AllowAnonymous();
        return app;
    }

    internal static async Task<IResult> SendAsync(HttpRequest http, ApiKeyAuthenticator keys, CompatSender sender, TimeProvider clock, CancellationToken ct)
    {
        if (await CompatRequests.KeyAsync(keys, CompatRequests.Bearer(http), ct) is not { } key)
            return Error(StatusCodes.Status401Unauthorized, "The provided authorization grant is invalid, expired, or revoked");
        if (!key.Scopes.Contains(Scopes.Send)) return Error(StatusCodes.Status403Forbidden, "access forbidden");
        if (!http.HasJsonContentType()) return Error(StatusCodes.Status415UnsupportedMediaType, "Content-Type should be application/json.");
        var (body, status) = await CompatRequests.ReadAsync(http, ct);
        if (body is null) return Error(status, status == StatusCodes.Status413PayloadTooLarge ? "Payload Too Large" : "The request body could not be read.");

        var (mail, badField) = CompatRequests.Parse<SendGridMail>(body, Json);
        if (mail is null) return Error(StatusCodes.Status400BadRequest, "The request body is not valid JSON for a mail send, or this field has the wrong type.", badField);
        if (Unsupported(mail) is { } field)
            return Error(StatusCodes.Status400BadRequest, $"'{field}' is not supported by EmailApi's SendGrid-compatible endpoint.", field, Help);
        if (Shape(mail) is { } shape) return Error(StatusCodes.Status400BadRequest, shape.Message, shape.Field);

        var sandbox = mail.MailSettings?.SandboxMode?.Enable == true;
        var requests = mail.Personalizations!.Select(p => ToRequest(mail, p)).ToArray();
        var outcome = await sender.SendAsync(requests, key.AccountId, http, null, allOrNothing: true, validateOnly: sandbox, ct);
        if (outcome is not CompatOutcome.Completed { Items: var items })
            return Error(StatusCodes.Status503ServiceUnavailable, ((CompatOutcome.Whole)outcome).UnavailableReason);

        var invalid = items.Select((item, p) => (item, p)).Where(x => x.item is CompatItem.Invalid).ToArray();
        if (invalid.Length > 0)
            return Errors(StatusCodes.Status400BadRequest, invalid.SelectMany(x => ((CompatItem.Invalid)x.item).Errors
                .SelectMany(e => e.Value.Select(m => new SendGridError(m, FieldOf(e.Key, x.p), null)))));
        if (sandbox) return Results.Ok();   // SendGrid answers sandbox mode with 200 and sends nothing

        var rejected = items.OfType<CompatItem.Done>().Select(d => d.Submitted).OfType<Submitted.Rejected>().FirstOrDefault();
        if (rejected is not null) return Refused(rejected, http.HttpContext.Response, clock);
        if (items.OfType<CompatItem.Done>().Select(d => d.Submitted).OfType<Submitted.Unavailable>().FirstOrDefault() is { } down)
            return Error(StatusCodes.Status503ServiceUnavailable, down.PublicReason);
        var first = items.OfType<CompatItem.Done>().Select(d => d.Submitted).OfType<Submitted.Accepted>().First();
        http.HttpContext.Response.Headers["X-Message-Id"] = first.Id.ToString();
        return Results.StatusCode(StatusCodes.Status202Accepted);
    }

    private static SendMessageRequest ToRequest(SendGridMail mail, SendGridPersonalization p)
    {
        var from = p.From ?? mail.From!;
        var replyTo = mail.ReplyToList is { Count: > 0 } list ? list : mail.ReplyTo is { } one ? [one] : null;
        return new SendMessageRequest(
            From: Address(from),
            To: CompatRequests.List(p.To?.Select(Address)),
            Cc: CompatRequests.List(p.Cc?.Select(Address)),
            Bcc: CompatRequests.List(p.Bcc?.Select(Address)),
            ReplyTo: CompatRequests.List(replyTo?.Select(Address)),
            Subject: p.Subject ?? mail.Subject,
            Text: mail.Content?.FirstOrDefault(c => Is(c, "text/plain"))?.Value,
            Html: mail.Content?.FirstOrDefault(c => Is(c, "text/html"))?.Value,
            Headers: Merge(mail.Headers, p.Headers),
            Attachments: mail.Attachments?.Select(a => new AttachmentInput(a.Filename, CompatRequests.Base64(a.Content), a.Type,
                string.Equals(a.Disposition, "inline", StringComparison.OrdinalIgnoreCase) ? a.ContentId : null)).ToList(),
            Tags: mail.Categories,
            Metadata: Merge(mail.CustomArgs, p.CustomArgs),
            SendAt: (p.SendAt ?? mail.SendAt) is { } at ? DateTimeOffset.FromUnixTimeSeconds(at) : null);
    }

    private static AddressInput Address(SendGridAddress a) => new(a.Email ?? "", string.IsNullOrWhiteSpace(a.Name) ? null : a.Name);

    private static bool Is(SendGridContent c, string type) => string.Equals(c.Type?.Split(';')[0].Trim(), type, StringComparison.OrdinalIgnoreCase);

    private static Dictionary<string, string>? Merge(Dictionary<string, string>? common, Dictionary<string, string>? own)
    {
        if (common is null) return own;
        if (own is null) return common;
        var merged = new Dictionary<string, string>(common);
        foreach (var (k, v) in own) merged[k] = v;   // the personalization's own value wins, as in SendGrid
        return merged;
    }

    private static string? Unsupported(SendGridMail m) =>
        CompatRequests.FirstUnknown(m.Unknown)
        ?? m.Personalizations?.Select((p, i) => CompatRequests.FirstUnknown(p?.Unknown, $"personalizations.{i}.")).FirstOrDefault(f => f is not null)
        ?? CompatRequests.FirstUnknown(m.MailSettings?.Unknown, "mail_settings.")
        ?? CompatRequests.FirstUnknown(m.MailSettings?.SandboxMode?.Unknown, "mail_settings.sandbox_mode.")
        ?? m.Content?.Select((c, i) => c is null ? null : CompatRequests.FirstUnknown(c.Unknown, $"content.{i}.")
            ?? (Is(c, "text/plain") || Is(c, "text/html") ? null : $"content.{i}.type")).FirstOrDefault(f => f is not null)
        ?? m.Attachments?.Select((a, i) => CompatRequests.FirstUnknown(a?.Unknown, $"attachments.{i}.")).FirstOrDefault(f => f is not null)
        ?? m.Personalizations?.SelectMany((p, i) => new[] { p?.To, p?.Cc, p?.Bcc }.SelectMany(l => l ?? []).Select(a => CompatRequests.FirstUnknown(a?.Unknown, $"personalizations.{i}.")))
            .FirstOrDefault(f => f is not null);

    /// <summary>SendGrid's own structural rules, before the native field checks.</summary>
    private static (string Message, string Field)? Shape(SendGridMail m)
    {
        if (m.Personalizations is not { Count: > 0 })
            return ("The personalizations field is required and must have at least one personalization.", "personalizations");
        if (m.Personalizations.Count > 1000) return ("You may not have more than 1000 personalizations per request.", "personalizations");
        for (var i = 0; i < m.Personalizations.Count; i++)
        {
            if (m.Personalizations[i] is null) return ("A personalization must be an object.", $"personalizations.{i}");
            if (m.Personalizations[i].From is null && m.From is null) return ("The from object must be provided for every email send.", "from");
            if (m.Personalizations[i].To is not { Count: > 0 })
                return ("The to array is required for all personalization objects, and must have at least one email object with a valid email address.", $"personalizations.{i}.to");
            foreach (var list in new[] { m.Personalizations[i].To, m.Personalizations[i].Cc, m.Personalizations[i].Bcc })
                if (list?.Any(a => a is null) == true) return ("Each address must be an object with an email.", $"personalizations.{i}");
        }
        if (m.Content?.Any(c => c is null) == true || m.Attachments?.Any(a => a is null) == true)
            return ("Each content and attachment item must be an object.", m.Content?.Any(c => c is null) == true ? "content" : "attachments");
        if (m.ReplyToList?.Any(a => a is null) == true) return ("Each address must be an object with an email.", "reply_to_list");
        if (m.Content is not { Count: > 0 } || m.Content.All(c => string.IsNullOrEmpty(c.Value)))
            return ("Unless a valid template_id is provided, the content parameter is required.", "content");
        if (m.Categories?.Count > 10) return ("You may not have more than 10 categories per request.", "categories");
        return null;
    }

    private static readonly Dictionary<string, string> Roots = new()
    {
        ["from"] = "from.email", ["replyTo"] = "reply_to", ["text"] = "content", ["html"] = "content", ["tags"] = "categories",
        ["metadata"] = "custom_args", ["sendAt"] = "send_at", ["unsubscribe"] = "categories",
    };

    private static readonly Dictionary<string, string> Leaves = new() { ["contentType"] = "type", ["contentId"] = "content_id" };

    private static string FieldOf(string native, int personalization)
    {
        var root = native.Split('[', '.')[0];
        return root is "to" or "cc" or "bcc" or "headers" or "subject"
            ? $"personalizations.{personalization}." + CompatFields.Map(native, Roots, Leaves, dotted: true)
            : CompatFields.Map(native, Roots, Leaves, dotted: true);
    }

    private static IResult Refused(Submitted.Rejected rejected, HttpResponse response, TimeProvider clock)
    {
        if (rejected.Limit is { } limit) SubmissionProblems.AddLimitHeaders(response, limit, clock);
        return rejected.Kind switch
        {
            RejectionKind.QuotaExceeded or RejectionKind.RateLimited => Error(StatusCodes.Status429TooManyRequests, rejected.PublicReason),
            RejectionKind.TooLarge => Error(StatusCodes.Status413PayloadTooLarge, rejected.PublicReason),
            RejectionKind.SenderDomainNotAllowed or RejectionKind.DomainNotVerified =>
                Error(StatusCodes.Status403Forbidden, "The from address does not match a verified Sender Identity. " + rejected.PublicReason, "from"),
            RejectionKind.AccountDisabled => Error(StatusCodes.Status403Forbidden, rejected.PublicReason),
            _ => Error(StatusCodes.Status400BadRequest, rejected.PublicReason),
        };
    }

    private static IResult Error(int status, string message, string? field = null, string? help = null) =>
        Errors(status, [new SendGridError(message, field, help)]);

    private static IResult Errors(int status, IEnumerable<SendGridError> errors) =>
        Results.Json(new SendGridErrors(errors.ToArray()), Json, statusCode: status);
}
