using System.ComponentModel;
using System.Text.Json.Serialization;

namespace EmailApi.Compat.Mailgun;

[Description("A Mailgun message as form fields (multipart/form-data with files 'attachment' and 'inline', or application/x-www-form-urlencoded). " +
    "'to', 'cc', 'bcc', 'o:tag' repeat; h:NAME adds a header (h:Reply-To sets the reply address); v:NAME adds metadata. Not supported (400 naming " +
    "the field): template, t:*, amp-html, recipient-variables, o:tracking* other than no, and any other o: option.")]
public sealed record MailgunMessageForm(
    [property: JsonPropertyName("from")] string From,
    [property: JsonPropertyName("to")] string To,
    [property: JsonPropertyName("cc")] string? Cc,
    [property: JsonPropertyName("bcc")] string? Bcc,
    [property: JsonPropertyName("subject")] string? Subject,
    [property: JsonPropertyName("text")] string? Text,
    [property: JsonPropertyName("html")] string? Html,
    [property: JsonPropertyName("o:tag")] string? Tag,
    [property: JsonPropertyName("o:deliverytime"), Description("RFC 2822 time, at most 30 days ahead.")] string? DeliveryTime,
    [property: JsonPropertyName("o:testmode"), Description("yes: check the message, answer as if queued, send nothing.")] string? TestMode);

[Description("A complete MIME message in the file field 'message', sent to the envelope recipients in 'to' (repeat, or comma-separated). " +
    "Also o:tag, o:deliverytime, o:testmode and v:NAME; other fields are refused (400 naming the field).")]
public sealed record MailgunMimeForm(
    [property: JsonPropertyName("to")] string To,
    [property: JsonPropertyName("message"), Description("The MIME message (message/rfc822).")] string Message,
    [property: JsonPropertyName("o:tag")] string? Tag,
    [property: JsonPropertyName("o:deliverytime"), Description("RFC 2822 time, at most 30 days ahead.")] string? DeliveryTime,
    [property: JsonPropertyName("o:testmode"), Description("yes: check the message, answer as if queued, send nothing.")] string? TestMode);

public sealed record MailgunAnswer(
    [property: JsonPropertyName("id"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Id,
    [property: JsonPropertyName("message")] string Message);
