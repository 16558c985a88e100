using MimeKit;

namespace EmailApi.SmtpBridge.Messages;

/// <summary>What the bridge reads from a message's header block (with MimeKit), without touching the bytes it relays.</summary>
internal sealed record HeaderSummary(string? From, string? Subject, bool HasMessageId, bool HasDate)
{
    private const int MaxLogText = 998;   // RFC 5322 §2.1.1 line limit; enough for the message log

    /// <summary>Null when there is no parsable header block.</summary>
    public static HeaderSummary? Parse(byte[] message)
    {
        using var stream = new MemoryStream(message, writable: false);
        var parser = new MimeParser(stream, MimeFormat.Entity);
        HeaderList headers;
        try
        {
            headers = parser.ParseHeaders();
        }
        catch (FormatException)
        {
            return null;
        }
        return new HeaderSummary(
            Shorten(FromText(headers[HeaderId.From])),
            Shorten(headers[HeaderId.Subject]),
            headers.Contains(HeaderId.MessageId),
            headers.Contains(HeaderId.Date));
    }

    private static string? FromText(string? value)
    {
        if (value is null) return null;
        if (InternetAddressList.TryParse(value, out var list) && list.Mailboxes.FirstOrDefault() is { } mailbox)
            return string.IsNullOrEmpty(mailbox.Name) ? mailbox.Address : $"{mailbox.Name} <{mailbox.Address}>";
        return value.Trim();
    }

    private static string? Shorten(string? text) => text is { Length: > MaxLogText } ? text[..MaxLogText] : text;
}
