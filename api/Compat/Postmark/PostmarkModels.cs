using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace EmailApi.Compat.Postmark;

[Description("A Postmark email. To, Cc, Bcc and ReplyTo are comma-separated lists of addresses (at most 50 recipients in all). " +
    "Not supported (422, ErrorCode 300, naming the field): TemplateId, TemplateAlias, TemplateModel, TrackOpens true, TrackLinks other than None.")]
public sealed record PostmarkEmail(
    [property: JsonPropertyName("From")] string? From,
    [property: JsonPropertyName("To")] string? To,
    [property: JsonPropertyName("Cc")] string? Cc,
    [property: JsonPropertyName("Bcc")] string? Bcc,
    [property: JsonPropertyName("Subject")] string? Subject,
    [property: JsonPropertyName("Tag")] string? Tag,
    [property: JsonPropertyName("HtmlBody")] string? HtmlBody,
    [property: JsonPropertyName("TextBody")] string? TextBody,
    [property: JsonPropertyName("ReplyTo")] string? ReplyTo,
    [property: JsonPropertyName("Headers")] List<PostmarkHeader>? Headers,
    [property: JsonPropertyName("TrackOpens")] bool? TrackOpens,
    [property: JsonPropertyName("TrackLinks")] string? TrackLinks,
    [property: JsonPropertyName("Metadata")] Dictionary<string, string>? Metadata,
    [property: JsonPropertyName("Attachments")] List<PostmarkAttachment>? Attachments,
    [property: JsonPropertyName("MessageStream"), Description("outbound (default); any other stream is kept as a tag of the message.")] string? MessageStream)
{
    [JsonExtensionData] public Dictionary<string, JsonElement>? Unknown { get; init; }
}

public sealed record PostmarkHeader([property: JsonPropertyName("Name")] string? Name, [property: JsonPropertyName("Value")] string? Value)
{
    [JsonExtensionData] public Dictionary<string, JsonElement>? Unknown { get; init; }
}

public sealed record PostmarkAttachment(
    [property: JsonPropertyName("Name")] string? Name,
    [property: JsonPropertyName("Content"), Description("The file's bytes, base64-encoded.")] string? Content,
    [property: JsonPropertyName("ContentType")] string? ContentType,
    [property: JsonPropertyName("ContentID"), Description("cid:... makes the attachment inline.")] string? ContentID)
{
    [JsonExtensionData] public Dictionary<string, JsonElement>? Unknown { get; init; }
}

[Description("The answer for one message: ErrorCode 0 and MessageID when it was queued; otherwise Postmark's ErrorCode and a Message.")]
public sealed record PostmarkResult(
    [property: JsonPropertyName("To"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? To,
    [property: JsonPropertyName("SubmittedAt"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? SubmittedAt,
    [property: JsonPropertyName("MessageID"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? MessageID,
    [property: JsonPropertyName("ErrorCode")] int ErrorCode,
    [property: JsonPropertyName("Message")] string Message);
