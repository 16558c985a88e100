using System.Globalization;
using System.Text;
using EmailApi.Accounts;
using EmailApi.Delivery;
using EmailApi.Queue;
using EmailApi.Sending;
using Microsoft.Extensions.Options;
using MimeKit;
using MimeKit.Utils;

namespace EmailApi.Compat.Mailgun;

/// <summary>
/// Mailgun's messages API (<c>POST /v3/{domain}/messages</c>, HTTP Basic with user <c>api</c> and the key
/// as password) on the native submission. Answers <c>{"id":"&lt;Message-ID&gt;","message":"Queued. Thank you."}</c>
/// (the id is the message's real Message-ID); errors as <c>{"message"}</c>, and a wrong key as Mailgun's
/// plain-text 401 "Forbidden". The domain in the path must be well-formed; the From address decides the
/// sender domain, checked by the account's rules as for any send.
/// </summary>
public static class MailgunEndpoints
{
    public static IEndpointRouteBuilder MapMailgun(this IEndpointRouteBuilder app)
    {
        Route(app.MapPost("/v3/{domain}/messages", SendAsync), "MailgunSendMessage", "Mailgun: send a message")
            .Documents<MailgunMessageForm>("application/x-www-form-urlencoded", "multipart/form-data");
        Route(app.MapPost("/v3/{domain}/messages.mime", SendMimeAsync), "MailgunSendMime", "Mailgun: send a MIME message you built")
            .Documents<MailgunMimeForm>("multipart/form-data");
        return app;
    }

    private static RouteHandlerBuilder Route(RouteHandlerBuilder route, string name, string summary) => route
        .WithName(name)
        .WithSummary(summary)
        .WithTags("Mailgun")
        .Produces<MailgunAnswer>(StatusCodes.Status200OK)
        .Produces(StatusCodes.Status401Unauthorized)
        .ProducesErrors<MailgunAnswer>(400, 403, 413, 429, 503)
        .DisableAntiforgery()
        .AllowAnonymous();

    internal static async Task<IResult> SendAsync(string domain, HttpRequest http, ApiKeyAuthenticator keys, CompatSender sender,
        IOptions<DeliveryOptions> delivery, TimeProvider clock, CancellationToken ct)
    {
        var (key, form, refusal) = await OpenAsync(domain, http, keys, ct);
        if (refusal is not null) return refusal;

        var (request, testMode, problem) = await ReadAsync(form!, clock, ct);
        if (problem is not null) return Error(StatusCodes.Status400BadRequest, problem);
        var outcome = await sender.SendAsync([request!], key!.AccountId, http, null, allOrNothing: true, validateOnly: testMode, ct);
        if (outcome is not CompatOutcome.Completed { Items: [var item] })
            return Error(StatusCodes.Status503ServiceUnavailable, ((CompatOutcome.Whole)outcome).UnavailableReason);
        return item switch
        {
            // Test mode: Mailgun answers as if queued and delivers nothing; the id belongs to no stored message.
            CompatItem.Valid => Queued(MessageId.New(clock), delivery.Value.HeloName),
            CompatItem.Invalid invalid => Error(StatusCodes.Status400BadRequest, string.Join(" ", invalid.Errors.Select(e =>
                $"{CompatFields.Map(e.Key, Roots)} parameter is not valid: {e.Value[0]}"))),
            CompatItem.Done { Submitted: var submitted } => Answer(submitted, http.HttpContext.Response, delivery.Value.HeloName, clock),
            _ => Error(StatusCodes.Status503ServiceUnavailable, "Try again later."),
        };
    }

    /// <summary>
    /// <c>messages.mime</c>: the client's own MIME message in the file field <c>message</c>, relayed as
    /// <c>POST /v1/send/raw</c> relays it (the same checks, a Received trace, Bcc removed), to the
    /// envelope recipients in <c>to</c>.
    /// </summary>
    internal static async Task<IResult> SendMimeAsync(string domain, HttpRequest http, ApiKeyAuthenticator keys, SubmissionService submissions,
        IOptions<SendingOptions> sending, IOptions<DeliveryOptions> delivery, TimeProvider clock, CancellationToken ct)
    {
        var (key, form, refusal) = await OpenAsync(domain, http, keys, ct);
        if (refusal is not null) return refusal;
        foreach (var (name, _) in form!)
            if (name is not ("to" or "message" or "o:tag" or "o:deliverytime" or "o:testmode") && !name.StartsWith("v:", StringComparison.Ordinal))
                return Error(StatusCodes.Status400BadRequest, $"'{name}' parameter is not supported by EmailApi's Mailgun-compatible endpoint.");
        if (form.Files.FirstOrDefault(f => f.Name != "message") is { } stray)
            return Error(StatusCodes.Status400BadRequest, $"'{stray.Name}' parameter is not supported by EmailApi's Mailgun-compatible endpoint.");
        if (form["to"].Count == 0) return Error(StatusCodes.Status400BadRequest, "'to' parameter is missing");
        if (Addresses(form["to"]) is not { } to) return Error(StatusCodes.Status400BadRequest, "to parameter is not a valid address. please check documentation");
        var (sendAt, badTime) = DeliveryTime(form);
        if (badTime is not null) return Error(StatusCodes.Status400BadRequest, badTime);

        byte[] body;
        if (form.Files.GetFile("message") is { } file)
        {
            if (file.Length > sending.Value.MaxMessageBytes) return Error(StatusCodes.Status413PayloadTooLarge, "Request Entity Too Large");
            using var buffer = new MemoryStream((int)file.Length);
            await file.CopyToAsync(buffer, ct);
            body = buffer.ToArray();
        }
        else if (form["message"] is [{ Length: > 0 } text]) body = Encoding.UTF8.GetBytes(text);
        else return Error(StatusCodes.Status400BadRequest, "'message' parameter is missing");

        var tags = form["o:tag"].Where(t => t is not null).Select(t => t!).ToArray();
        var built = await SendRawEndpoint.BuildAsync(body, null, to.Select(a => a.Email).ToArray(), tags, sendAt, key!.AccountId, HttpTrace.Of(http),
            sending.Value.MaxMessageBytes, delivery.Value.HeloName, clock, ct);
        switch (built)
        {
            case RawBuild.TooLarge: return Error(StatusCodes.Status413PayloadTooLarge, "Request Entity Too Large");
            case RawBuild.Invalid invalid:
                return Error(StatusCodes.Status400BadRequest, string.Join(" ", invalid.Errors.Select(e => $"{(e.Key is "$" or "From" ? "message" : e.Key)}: {e.Value[0]}")));
        }
        var metadata = form.Where(f => f.Key.StartsWith("v:", StringComparison.Ordinal)).ToDictionary(f => f.Key[2..], f => f.Value.ToString());
        if (metadata.Count > SendMessageValidator.MaxMetadata || metadata.Any(m => m.Key.Length is 0 or > SendMessageValidator.MaxMetadataKey || m.Value.Length > SendMessageValidator.MaxMetadataValue))
            return Error(StatusCodes.Status400BadRequest, $"v: parameters: at most {SendMessageValidator.MaxMetadata}, names of 1 to {SendMessageValidator.MaxMetadataKey} characters, values up to {SendMessageValidator.MaxMetadataValue}.");
        var submission = ((RawBuild.Built)built).Submission with { Metadata = metadata.Count > 0 ? metadata : null };
        if (form["o:testmode"] is [{ } test] && test.ToLowerInvariant() is "yes" or "true") return Queued(submission.Id, delivery.Value.HeloName);
        return Answer(await submissions.SubmitAsync(submission, ct), http.HttpContext.Response, delivery.Value.HeloName, clock);
    }

    /// <summary>The key in Mailgun's place and the form: Mailgun's plain 401, a 404 for a malformed domain, a 400/413 for a form that cannot be read.</summary>
    private static async Task<(StoredKey? Key, IFormCollection? Form, IResult? Refusal)> OpenAsync(string domain, HttpRequest http, ApiKeyAuthenticator keys, CancellationToken ct)
    {
        if (await CompatRequests.KeyAsync(keys, BasicPassword(http), ct) is not { } key || !key.Scopes.Contains(Scopes.Send))
            return (null, null, Results.Text("Forbidden", "text/plain", Encoding.UTF8, StatusCodes.Status401Unauthorized));
        if (Domains.DomainName.Normalize(domain) is null) return (null, null, Error(StatusCodes.Status404NotFound, $"Domain not found: {domain}"));
        if (!http.HasFormContentType)
            return (null, null, Error(StatusCodes.Status400BadRequest, "Send the message as multipart/form-data or application/x-www-form-urlencoded."));
        try
        {
            return (key, await http.ReadFormAsync(ct), null);
        }
        catch (Exception ex) when (ex is InvalidDataException or BadHttpRequestException or IOException)
        {
            // Kestrel's body limit is a 413; the form reader's own refusals (no boundary, a part over FormOptions' limits) are malformed forms.
            var tooLarge = ex is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge };
            return (null, null, Error(tooLarge ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest,
                tooLarge ? "Request Entity Too Large" : "The form could not be read: malformed, or a part over the form limits."));
        }
    }

    private static IResult Queued(MessageId id, string heloName) => Results.Json(new MailgunAnswer($"<{id}@{heloName}>", "Queued. Thank you."));

    private static IResult Answer(Submitted submitted, HttpResponse response, string heloName, TimeProvider clock) => submitted switch
    {
        Submitted.Accepted a => Queued(a.Id, heloName),
        Submitted.Rejected r => Refused(r, response, clock),
        Submitted.Unavailable u => Error(StatusCodes.Status503ServiceUnavailable, u.PublicReason),
        _ => Error(StatusCodes.Status503ServiceUnavailable, "Try again later."),
    };

    private static (DateTimeOffset? At, string? Problem) DeliveryTime(IFormCollection form)
    {
        if (form["o:deliverytime"] is not [{ } when] || string.IsNullOrWhiteSpace(when)) return (null, null);
        return DateUtils.TryParse(when, out var at) ? (at, null) : (null, "o:deliverytime parameter is not a valid RFC 2822 date.");
    }

    private static string? BasicPassword(HttpRequest http)
    {
        string? header = http.Headers.Authorization;
        if (header is null || !header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return null;
        var buffer = new byte[header.Length];
        if (!Convert.TryFromBase64String(header["Basic ".Length..].Trim(), buffer, out var written)) return null;
        var pair = Encoding.UTF8.GetString(buffer, 0, written);
        var colon = pair.IndexOf(':');
        // Mailgun's user is always "api"; any other user is a wrong credential, as there.
        return colon > 0 && pair[..colon] == "api" ? pair[(colon + 1)..] : null;
    }

    private static readonly HashSet<string> Plain = new(StringComparer.Ordinal) { "from", "to", "cc", "bcc", "subject", "text", "html", "o:tag", "o:deliverytime", "o:testmode" };

    private static async Task<(SendMessageRequest? Request, bool TestMode, string? Problem)> ReadAsync(IFormCollection form, TimeProvider clock, CancellationToken ct)
    {
        foreach (var (name, _) in form)
        {
            if (Plain.Contains(name) || name.StartsWith("h:", StringComparison.Ordinal) || name.StartsWith("v:", StringComparison.Ordinal)) continue;
            if (name is "o:tracking" or "o:tracking-clicks" or "o:tracking-opens" or "o:dkim" && form[name].All(v => v is "no" or "false" or "False" || name == "o:dkim")) continue;
            return (null, false, $"'{name}' parameter is not supported by EmailApi's Mailgun-compatible endpoint.");
        }
        foreach (var file in form.Files)
            if (file.Name is not ("attachment" or "inline")) return (null, false, $"'{file.Name}' parameter is not supported by EmailApi's Mailgun-compatible endpoint.");

        if (form["from"] is not [{ Length: > 0 }]) return (null, false, "'from' parameter is missing");
        if (Addresses(form["from"]) is not [var from]) return (null, false, "from parameter is not a valid address. please check documentation");
        var lists = new Dictionary<string, AddressList?>();
        foreach (var field in new[] { "to", "cc", "bcc" })
            lists[field] = form[field].Count == 0 ? null : Addresses(form[field]) is { } parsed ? new AddressList(parsed)
                : null;
        foreach (var field in new[] { "to", "cc", "bcc" })
            if (form[field].Count > 0 && lists[field] is null) return (null, false, $"{field} parameter is not a valid address. please check documentation");
        if (lists["to"] is null) return (null, false, "'to' parameter is missing");
        if (string.IsNullOrEmpty(form["text"]) && string.IsNullOrEmpty(form["html"]))
            return (null, false, "Need at least one of 'text', 'html', 'amp-html' or 'template' parameters specified");

        AddressList? replyTo = null;
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var metadata = new Dictionary<string, string>();
        foreach (var (name, values) in form)
        {
            if (name.StartsWith("h:", StringComparison.Ordinal))
            {
                if (name.Equals("h:Reply-To", StringComparison.OrdinalIgnoreCase))
                {
                    if (Addresses(values) is not { } reply) return (null, false, "h:Reply-To parameter is not a valid address.");
                    replyTo = new AddressList(reply);
                }
                else headers[name[2..]] = values.ToString();
            }
            else if (name.StartsWith("v:", StringComparison.Ordinal)) metadata[name[2..]] = values.ToString();
        }

        var (sendAt, badTime) = DeliveryTime(form);
        if (badTime is not null) return (null, false, badTime);
        var testMode = form["o:testmode"] is [{ } test] && test.ToLowerInvariant() is "yes" or "true";

        var attachments = new List<AttachmentInput>();
        foreach (var file in form.Files)
        {
            using var buffer = new MemoryStream((int)Math.Min(file.Length, int.MaxValue));
            await file.CopyToAsync(buffer, ct);
            var name = string.IsNullOrEmpty(file.FileName) ? "attachment" : file.FileName;
            attachments.Add(new AttachmentInput(name, Convert.ToBase64String(buffer.GetBuffer(), 0, (int)buffer.Length),
                string.IsNullOrEmpty(file.ContentType) || file.ContentType == "application/octet-stream" && file.Name == "inline" ? null : file.ContentType,
                file.Name == "inline" ? name : null));
        }

        return (new SendMessageRequest(from, lists["to"], lists["cc"], lists["bcc"], replyTo, form["subject"].ToString() is { Length: > 0 } s ? s : null,
            NullIfEmpty(form["text"]), NullIfEmpty(form["html"]), headers.Count > 0 ? headers : null, attachments.Count > 0 ? attachments : null,
            form["o:tag"].Count > 0 ? form["o:tag"].Where(t => t is not null).Select(t => t!).ToList() : null, metadata.Count > 0 ? metadata : null, sendAt),
            testMode, null);
    }

    private static string? NullIfEmpty(Microsoft.Extensions.Primitives.StringValues v) => string.IsNullOrEmpty(v.ToString()) ? null : v.ToString();

    /// <summary>Every mailbox of every value (each value may itself be a comma-separated list); null when one does not parse.</summary>
    private static List<AddressInput>? Addresses(Microsoft.Extensions.Primitives.StringValues values)
    {
        var result = new List<AddressInput>();
        foreach (var value in values)
        {
            if (string.IsNullOrWhiteSpace(value) || !InternetAddressList.TryParse(ParserOptions.Default, value, out var parsed)
                || parsed.Count == 0 || parsed.Count != parsed.Mailboxes.Count()) return null;
            result.AddRange(parsed.Mailboxes.Select(m => new AddressInput(m.Address, string.IsNullOrWhiteSpace(m.Name) ? null : m.Name)));
        }
        return result;
    }

    private static IResult Refused(Submitted.Rejected rejected, HttpResponse response, TimeProvider clock)
    {
        if (rejected.Limit is { } limit) SubmissionProblems.AddLimitHeaders(response, limit, clock);
        return rejected.Kind switch
        {
            RejectionKind.QuotaExceeded or RejectionKind.RateLimited => Error(StatusCodes.Status429TooManyRequests, rejected.PublicReason),
            RejectionKind.TooLarge => Error(StatusCodes.Status413PayloadTooLarge, rejected.PublicReason),
            RejectionKind.SenderDomainNotAllowed or RejectionKind.DomainNotVerified or RejectionKind.AccountDisabled =>
                Error(StatusCodes.Status403Forbidden, rejected.PublicReason),
            _ => Error(StatusCodes.Status400BadRequest, rejected.PublicReason),
        };
    }

    private static readonly Dictionary<string, string> Roots = new()
    {
        ["replyTo"] = "h:Reply-To", ["headers"] = "h:", ["attachments"] = "attachment", ["tags"] = "o:tag", ["metadata"] = "v:", ["sendAt"] = "o:deliverytime",
        ["unsubscribe"] = "o:tag",
    };

    private static IResult Error(int status, string message) => Results.Json(new MailgunAnswer(null, message), statusCode: status);
}
