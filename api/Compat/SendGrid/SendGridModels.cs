using System.Text.Json;
using System.Text.Json.Serialization;

namespace EmailApi.Compat.SendGrid;

[System.ComponentModel.Description("A SendGrid v3 mail send request. Each personalization becomes its own message. Not supported (400 naming the field): " +
    "template_id, dynamic_template_data, substitutions, sections, asm, batch_id, ip_pool_name, tracking_settings, and mail_settings other than sandbox_mode.")]
public sealed record SendGridMail(
    List<SendGridPersonalization>? Personalizations,
    SendGridAddress? From,
    SendGridAddress? ReplyTo,
    List<SendGridAddress>? ReplyToList,
    string? Subject,
    List<SendGridContent>? Content,
    List<SendGridAttachment>? Attachments,
    Dictionary<string, string>? Headers,
    List<string>? Categories,
    Dictionary<string, string>? CustomArgs,
    [property: System.ComponentModel.Description("Unix time in seconds, at most 30 days ahead.")] long? SendAt,
    SendGridMailSettings? MailSettings)
{
    [JsonExtensionData] public Dictionary<string, JsonElement>? Unknown { get; init; }
}

public sealed record SendGridPersonalization(
    List<SendGridAddress>? To,
    List<SendGridAddress>? Cc,
    List<SendGridAddress>? Bcc,
    SendGridAddress? From,
    string? Subject,
    Dictionary<string, string>? Headers,
    Dictionary<string, string>? CustomArgs,
    long? SendAt)
{
    [JsonExtensionData] public Dictionary<string, JsonElement>? Unknown { get; init; }
}

public sealed record SendGridAddress(string? Email, string? Name)
{
    [JsonExtensionData] public Dictionary<string, JsonElement>? Unknown { get; init; }
}

public sealed record SendGridContent(string? Type, string? Value)
{
    [JsonExtensionData] public Dictionary<string, JsonElement>? Unknown { get; init; }
}

public sealed record SendGridAttachment(
    [property: System.ComponentModel.Description("The file's bytes, base64-encoded.")] string? Content,
    string? Type,
    string? Filename,
    [property: System.ComponentModel.Description("attachment (default) or inline; inline needs content_id.")] string? Disposition,
    string? ContentId)
{
    [JsonExtensionData] public Dictionary<string, JsonElement>? Unknown { get; init; }
}

public sealed record SendGridMailSettings(SendGridSetting? SandboxMode)
{
    [JsonExtensionData] public Dictionary<string, JsonElement>? Unknown { get; init; }
}

public sealed record SendGridSetting(bool? Enable)
{
    [JsonExtensionData] public Dictionary<string, JsonElement>? Unknown { get; init; }
}

public sealed record SendGridErrors(IReadOnlyList<SendGridError> Errors);

public sealed record SendGridError(string Message, string? Field, string? Help);
