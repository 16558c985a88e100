using MimeKit;

namespace EmailApi.WebConsole;

/// <summary>
/// What the message page shows of a stored message: its header fields in order, the text and HTML
/// bodies and the attachments' names. Parsing is MimeKit's, bounded by the message size the queue
/// already accepted; a source that does not parse shows as headers-less text.
/// </summary>
public sealed record MessageContent(IReadOnlyList<KeyValuePair<string, string>> Headers, string? Text, string? Html, IReadOnlyList<string> Attachments)
{
    public static MessageContent Parse(byte[] source)
    {
        try
        {
            using var stream = new MemoryStream(source, writable: false);
            var message = MimeMessage.Load(stream);
            return new MessageContent(
                message.Headers.Select(h => new KeyValuePair<string, string>(h.Field, h.Value)).ToArray(),
                message.TextBody,
                message.HtmlBody,
                message.Attachments.Select(a => a is MimePart p ? p.FileName ?? p.ContentType.MimeType : a.ContentType.MimeType).ToArray());
        }
        catch (FormatException)
        {
            return new MessageContent([], System.Text.Encoding.UTF8.GetString(source), null, []);
        }
    }
}
