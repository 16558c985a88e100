using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Serialization;
using EmailApi.Sending;

namespace EmailApi.Compat.Resend;

[Description("A Resend email. Not supported (422 validation_error naming the field): template, topic_id, attachments[].path (send the content), " +
    "scheduled_at in natural language (give an ISO 8601 time).")]
public sealed record ResendEmail(
    AddressInput? From,
    [property: Description("One address or an array of up to 50.")] AddressList? To,
    AddressList? Cc,
    AddressList? Bcc,
    AddressList? ReplyTo,
    string? Subject,
    string? Html,
    string? Text,
    Dictionary<string, string>? Headers,
    List<ResendAttachment>? Attachments,
    [property: Description("Name/value pairs; kept as the message's metadata.")] List<ResendTag>? Tags,
    [property: Description("ISO 8601, at most 30 days ahead.")] DateTimeOffset? ScheduledAt)
{
    [JsonExtensionData] public Dictionary<string, JsonElement>? Unknown { get; init; }
}

public sealed record ResendAttachment(
    [property: Description("The file's bytes, base64-encoded.")] string? Content,
    string? Filename,
    string? ContentType,
    [property: Description("Makes the attachment inline, for <img src=\"cid:...\">.")] string? ContentId)
{
    [JsonExtensionData] public Dictionary<string, JsonElement>? Unknown { get; init; }
}

public sealed record ResendTag(string? Name, string? Value)
{
    [JsonExtensionData] public Dictionary<string, JsonElement>? Unknown { get; init; }
}

public sealed record ResendId(string Id);

public sealed record ResendBatchAnswer(IReadOnlyList<ResendId> Data, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<ResendBatchError>? Errors = null);

public sealed record ResendBatchError(int Index, string Message);

// Resend writes this one camelCase, unlike its snake_case fields.
public sealed record ResendError([property: JsonPropertyName("statusCode")] int StatusCode, string Message, string Name);

[Description("A sent email as Resend shows it. 'to' lists every envelope recipient (to, cc and bcc: the service keeps the envelope, not the header roles); html and text are not kept.")]
public sealed record ResendEmailView(
    [property: AllowedValues("email")] string Object,
    string Id,
    IReadOnlyList<string> To,
    string From,
    DateTimeOffset CreatedAt,
    string? Subject,
    string? Html,
    string? Text,
    IReadOnlyList<string>? Cc,
    IReadOnlyList<string>? Bcc,
    IReadOnlyList<string>? ReplyTo,
    [property: AllowedValues("queued", "delivery_delayed", "delivered", "bounced", "complained", "failed", "suppressed", "canceled")] string LastEvent,
    DateTimeOffset? ScheduledAt,
    IReadOnlyList<ResendTag> Tags);
