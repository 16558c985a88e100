using System.Text.Json;
using EmailApi.Queue;
using EmailApi.Unsubscribe;

namespace EmailApi.Sending;

/// <summary>Reading a JSON message request (alone or as a batch item) and turning it into a <see cref="Submission"/>.</summary>
internal static class SendRequests
{
    // A declared length sizes the buffer (up to this much, whatever a client claims), so a typical
    // body is read into one array that is then returned as it is, without growing or copying.
    private const int PresizeUpTo = 1024 * 1024;

    public static async Task<byte[]> ReadBodyAsync(HttpRequest http, CancellationToken ct)
    {
        using var buffer = new MemoryStream(http.ContentLength is long declared ? (int)Math.Min(declared, PresizeUpTo) : 0);
        await http.Body.CopyToAsync(buffer, ct);
        return buffer.TryGetBuffer(out var written) && written.Count == written.Array!.Length
            ? written.Array
            : buffer.ToArray();
    }

    public static ParsedRequest Parse(byte[] body)
    {
        try
        {
            var request = JsonSerializer.Deserialize<SendMessageRequest>(body, SendMessageEndpoint.RequestJson);
            return request is null ? ParsedRequest.Invalid("$", "The body must be a JSON object.", null) : new ParsedRequest(request, null, null);
        }
        catch (JsonException ex)
        {
            return ParsedRequest.Invalid(FieldOf(ex.Path), Describe(ex), "The request body is not valid JSON for a message.");
        }
    }

    public static ParsedRequest Parse(JsonElement item)
    {
        try
        {
            var request = item.Deserialize<SendMessageRequest>(SendMessageEndpoint.RequestJson);
            return request is null ? ParsedRequest.Invalid("$", "Each message must be a JSON object.", null) : new ParsedRequest(request, null, null);
        }
        catch (JsonException ex)
        {
            return ParsedRequest.Invalid(FieldOf(ex.Path), Describe(ex), "The message is not valid JSON for a message.");
        }
    }

    /// <param name="links">Makes the unsubscribe header fields when the request asks for them (validated: then it has one recipient).</param>
    public static Submission ToSubmission(SendMessageRequest request, string accountId, HttpTrace trace, MessageComposer composer, TimeProvider clock,
        UnsubscribeLinks? links = null)
    {
        var id = MessageId.New(clock);
        var recipients = request.To.OrEmpty().Concat(request.Cc.OrEmpty()).Concat(request.Bcc.OrEmpty()).Select(a => a.Email).ToArray();
        var extra = request.Unsubscribe == true && links is not null && recipients.Length == 1 ? links.HeadersFor(accountId, id, recipients[0]) : null;
        var raw = composer.Compose(id, request, trace, extra);
        return new Submission(id, accountId, MessageSource.Api, request.From!.Email, recipients, raw,
            request.From.ToString(), request.Subject, request.Tags ?? [], request.Metadata, request.SendAt);
    }

    internal static string FieldOf(string? path) =>
        string.IsNullOrEmpty(path) || path == "$" ? "$" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path;

    private static string Describe(JsonException ex) => ex switch
    {
        { InnerException: InvalidOperationException or FormatException } => "This field has the wrong type.",
        _ when ex.Message.Contains("could not be mapped", StringComparison.Ordinal) => "Unknown field.",
        _ when ex.Message.Contains("could not be converted", StringComparison.Ordinal) => "This field has the wrong type.",
        _ => ex.Message.Split(" Path:", 2)[0].Split(" LineNumber:", 2)[0],
    };
}
