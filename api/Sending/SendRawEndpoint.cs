using System.Diagnostics;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using EmailApi.Accounts;
using EmailApi.Delivery;
using EmailApi.Queue;
using Microsoft.AspNetCore.Http.HttpResults;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.Mvc;
using MimeKit;

namespace EmailApi.Sending;

public static class SendRawEndpoint
{
    public const string ContentType = "message/rfc822";

    public static RouteGroupBuilder MapSendRaw(this RouteGroupBuilder v1)
    {
        v1.MapPost("/send/raw", HandleAsync)
            .WithName("SendRawMessage")
            .WithSummary("Queue a message the client built itself (message/rfc822)")
            .WithDescription("The body is the complete MIME message; it is relayed unchanged, except that line endings become CRLF, a Received header " +
                "is added, a Message-ID and Date when missing, and Bcc headers are removed. A bare CR or NUL anywhere, mixed line endings in the header, " +
                "a header over 102400 bytes or a field over 8192, an unterminated multipart or nesting deeper than 100 is refused (400). The envelope comes from the query: 'from' (default: the From header) " +
                "and 'to', repeated (default: the To, Cc and Bcc headers). Optional: 'tag' (repeated), 'sendAt'.")
            .WithTags("Sending")
            .Accepts<byte[]>(ContentType)
            .ProducesValidationProblem()
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
        HttpRequest http, ClaimsPrincipal user, [FromQuery] string? from, [FromQuery] string[]? to, [FromQuery] string[]? tag, [FromQuery] DateTimeOffset? sendAt,
        SubmissionService submissions, IOptions<SendingOptions> sending, IOptions<DeliveryOptions> delivery, IOptions<JsonOptions> json,
        TimeProvider clock, CancellationToken ct)
    {
        if (!string.Equals(http.ContentType?.Split(';')[0].Trim(), ContentType, StringComparison.OrdinalIgnoreCase))
            return TypedResults.Problem($"Send the message with 'Content-Type: {ContentType}'.", statusCode: StatusCodes.Status415UnsupportedMediaType);
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
        switch (await BuildAsync(body, from, to, tag, sendAt, user.AccountId(), HttpTrace.Of(http), sending.Value.MaxMessageBytes, delivery.Value.HeloName, clock, ct))
        {
            case RawBuild.TooLarge large:
                return TypedResults.Problem(large.Reason, statusCode: StatusCodes.Status413PayloadTooLarge, title: "Message too large");
            case RawBuild.Invalid invalid:
                return TypedResults.ValidationProblem(invalid.Errors);
            case RawBuild.Built built:
                return await SendMessageEndpoint.SubmitOneAsync(built.Submission, key, http, body, submissions, json.Value.SerializerOptions, clock, ct);
            case var other:
                throw new UnreachableException(other.ToString());
        }
    }

    /// <summary>
    /// A client's complete MIME message as a submission: the checks a raw message passes (size, bytes,
    /// structure, envelope), then the relay's own headers (<see cref="Prepare"/>). Shared by
    /// <c>POST /v1/send/raw</c> and Mailgun's <c>messages.mime</c>.
    /// </summary>
    internal static async Task<RawBuild> BuildAsync(byte[] body, string? from, string[]? to, string[]? tag, DateTimeOffset? sendAt, string accountId,
        HttpTrace trace, long maxMessageBytes, string heloName, TimeProvider clock, CancellationToken ct)
    {
        if (body.LongLength > maxMessageBytes) return new RawBuild.TooLarge($"The message is {body.LongLength} bytes; the limit is {maxMessageBytes}.");

        // Before MimeKit: what the parser would pay for, or read differently from the next server.
        if (RawMimeChecks.Bytes(body) is { } badBytes) return new RawBuild.Invalid(badBytes);
        using var message = await LoadAsync(body, ct);
        if (message is null) return new RawBuild.Invalid(new Dictionary<string, string[]> { ["$"] = ["The body is not a MIME message."] });
        if (RawMimeChecks.Structure(message, body) is { } badStructure) return new RawBuild.Invalid(badStructure);

        var errors = new Dictionary<string, string[]>();
        var envelopeFrom = from?.Trim() ?? message.From.Mailboxes.FirstOrDefault()?.Address;
        if (envelopeFrom is null) errors["from"] = ["Give 'from' in the query or a From header."];
        else if (!AddressRules.IsValid(envelopeFrom)) errors["from"] = [$"'{envelopeFrom}' is not a valid email address."];
        if (message.From.Count == 0) errors["From"] = ["The message needs a From header (RFC 5322 §3.6)."];
        var recipients = to is { Length: > 0 }
            ? to.Select(t => t.Trim()).ToArray()
            : message.To.Mailboxes.Concat(message.Cc.Mailboxes).Concat(message.Bcc.Mailboxes).Select(m => m.Address).ToArray();
        if (recipients.Length == 0) errors["to"] = ["Give 'to' in the query or To, Cc or Bcc headers."];
        var badRecipients = recipients.Where(r => !AddressRules.IsValid(r)).Select(r => $"'{r}' is not a valid email address.").ToArray();
        if (badRecipients.Length > 0) errors["to"] = badRecipients;
        var tags = tag ?? [];
        if (tags.Length > 20 || tags.Any(t => t is not { Length: > 0 and <= 128 } || t.IndexOfAny(['\r', '\n']) >= 0))
            errors["tag"] = ["At most 20 tags of 1 to 128 characters without line breaks."];
        if (sendAt > clock.GetUtcNow() + SendMessageValidator.MaxSchedule)
            errors["sendAt"] = [$"'sendAt' must be at most {SendMessageValidator.MaxSchedule.TotalDays:0} days ahead."];
        if (errors.Count > 0) return new RawBuild.Invalid(errors);

        var id = MessageId.New(clock);
        var raw = Prepare(body, message, id, heloName, trace, clock);
        return new RawBuild.Built(new Submission(id, accountId, MessageSource.Api, envelopeFrom!, recipients, raw,
            message.From.ToString(), message.Subject, tags, null, sendAt));
    }

    /// <summary>The parsed message (to be disposed: MimeKit's entities have finalizers), or null when the body is not MIME.</summary>
    private static async Task<MimeMessage?> LoadAsync(byte[] body, CancellationToken ct)
    {
        using var input = new MemoryStream(body, writable: false);
        try
        {
            return await MimeMessage.LoadAsync(RawMimeChecks.Parsing, input, ct);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// The client's bytes with CRLF line endings (RFC 5322 §2.1) and the headers a relay must add
    /// prepended: Received (RFC 5321 §4.4), and Message-ID and Date when missing. Bcc must not travel (RFC 5322 §3.6.3); only when
    /// it is present is the message rewritten by MimeKit.
    /// </summary>
    internal static byte[] Prepare(byte[] body, MimeMessage message, MessageId id, string heloName, HttpTrace trace, TimeProvider clock)
    {
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        byte[] content;
        if (message.Headers.Contains(HeaderId.Bcc))
        {
            message.Headers.RemoveAll(HeaderId.Bcc);
            using var rewritten = new MemoryStream();
            message.WriteTo(format, rewritten);
            content = rewritten.ToArray();
        }
        else content = ToCrlf(body);

        var prefix = new StringBuilder(trace.ReceivedHeader(id, heloName, clock.GetUtcNow()));
        if (string.IsNullOrEmpty(message.MessageId)) prefix.Append($"Message-ID: <{id}@{heloName}>\r\n");
        if (!message.Headers.Contains(HeaderId.Date)) prefix.Append($"Date: {MimeKit.Utils.DateUtils.FormatDate(clock.GetUtcNow())}\r\n");
        return [.. Encoding.ASCII.GetBytes(prefix.ToString()), .. content];
    }

    private static byte[] ToCrlf(byte[] body)
    {
        var lone = 0;
        for (var i = 0; i < body.Length; i++)
            if ((body[i] == '\n' && (i == 0 || body[i - 1] != '\r')) || (body[i] == '\r' && (i + 1 == body.Length || body[i + 1] != '\n'))) lone++;
        if (lone == 0) return body;
        var output = new List<byte>(body.Length + lone);
        for (var i = 0; i < body.Length; i++)
        {
            if (body[i] == '\r')
            {
                output.Add((byte)'\r');
                output.Add((byte)'\n');
                if (i + 1 < body.Length && body[i + 1] == '\n') i++;
            }
            else if (body[i] == '\n')
            {
                output.Add((byte)'\r');
                output.Add((byte)'\n');
            }
            else output.Add(body[i]);
        }
        return [.. output];
    }
}

/// <summary>A raw message made ready for submission, or why it cannot be.</summary>
internal abstract record RawBuild
{
    private RawBuild() { }

    public sealed record Built(Submission Submission) : RawBuild;

    public sealed record Invalid(Dictionary<string, string[]> Errors) : RawBuild;

    public sealed record TooLarge(string Reason) : RawBuild;
}
