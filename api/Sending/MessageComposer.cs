using System.Text;
using EmailApi.Mail;
using EmailApi.Queue;
using Microsoft.Extensions.Options;
using MimeKit;
using MimeKit.Utils;

namespace EmailApi.Sending;

/// <summary>
/// Builds the MIME message for a validated send request with MimeKit: text and HTML as
/// multipart/alternative, inline parts (with a content id) as multipart/related, other attachments
/// in multipart/mixed; Message-ID <c>&lt;id@Relay:HostName&gt;</c>. The result is 7-bit clean with CRLF
/// line endings, so it relays unchanged through any hop and can be DKIM-signed once.
/// </summary>
public sealed class MessageComposer(IOptions<RelayHostOptions> relayHost, TimeProvider clock)
{
    private static readonly FormatOptions Format = CreateFormat();

    // The composed bytes are copied out of a per-thread buffer, so composing a message does not grow
    // a new stream from 256 bytes each time; a buffer grown by a large message is not kept.
    private const int KeptBufferBytes = 1024 * 1024;
    [ThreadStatic] private static MemoryStream? t_output;

    /// <param name="trace">Where the request came from, for a Received header in front of the message; null for none.</param>
    /// <param name="extraHeaders">Header fields the service adds for this message (List-Unsubscribe); null for none.</param>
    internal byte[] Compose(MessageId id, SendMessageRequest request, HttpTrace? trace, IReadOnlyList<KeyValuePair<string, string>>? extraHeaders = null)
    {
        // Date and Message-ID are given to the constructor: MimeMessage() would otherwise first
        // generate a random Message-ID and format the local time, only for both to be replaced.
        // Disposed once written: MimeKit's messages, parts and contents have finalizers, and an
        // undisposed one keeps the whole message alive through one more garbage collection.
        using var message = new MimeMessage(
            new Header(HeaderId.From, ""),
            new Header(HeaderId.Date, DateUtils.FormatDate(clock.GetUtcNow())),
            new Header(Encoding.UTF8, HeaderId.Subject, request.Subject ?? ""),
            new Header(HeaderId.MessageId, $"<{id}@{relayHost.Value.HostName}>"));
        message.From.Add(Mailbox(request.From!));
        foreach (var a in request.To.OrEmpty()) message.To.Add(Mailbox(a));
        foreach (var a in request.Cc.OrEmpty()) message.Cc.Add(Mailbox(a));
        foreach (var a in request.ReplyTo.OrEmpty()) message.ReplyTo.Add(Mailbox(a));
        foreach (var (name, value) in request.Headers ?? []) message.Headers.Add(name, value);
        foreach (var (name, value) in extraHeaders ?? []) message.Headers.Add(name, value);

        var body = new BodyBuilder { TextBody = Lines(request.Text), HtmlBody = Lines(request.Html) };
        foreach (var attachment in request.Attachments ?? [])
        {
            var content = Convert.FromBase64String(attachment.Content!);
            var type = attachment.ContentType is null ? MimeTypes.GetMimeType(attachment.Filename!) : attachment.ContentType;
            var part = attachment.ContentId is null
                ? body.Attachments.Add(attachment.Filename!, content, ContentType.Parse(type))
                : body.LinkedResources.Add(attachment.Filename!, content, ContentType.Parse(type));
            if (attachment.ContentId is not null) part.ContentId = attachment.ContentId;
        }
        message.Body = body.ToMessageBody();
        message.Prepare(EncodingConstraint.SevenBit);

        var output = t_output ??= new MemoryStream();
        output.SetLength(0);
        if (trace is not null) output.Write(Encoding.ASCII.GetBytes(trace.ReceivedHeader(id, relayHost.Value.HostName, clock.GetUtcNow())));
        message.WriteTo(Format, output);
        var raw = output.ToArray();
        if (output.Capacity > KeptBufferBytes) t_output = null;
        return raw;
    }

    /// <summary>
    /// Every line break as LF, which the writer turns into CRLF: a bare CR left in a body could end a
    /// line, or the data ("\r.\r"), for a lenient next server (RFC 5321 §2.3.8 allows CRLF only).
    /// </summary>
    private static string? Lines(string? text) =>
        text is null || !text.Contains('\r') ? text : text.Replace("\r\n", "\n").Replace('\r', '\n');

    private static MailboxAddress Mailbox(AddressInput address) => new(address.Name ?? "", address.Email);

    private static FormatOptions CreateFormat()
    {
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;   // SMTP's line ending (RFC 5321 §2.3.8)
        return format;
    }
}
