using EmailApi.Delivery;
using EmailApi.Mail;
using EmailApi.Queue;
using EmailApi.Sending;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using MimeKit;

namespace EmailApi.Tests.Sending;

public sealed class MessageComposerTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 29, 10, 0, 0, TimeSpan.Zero));
    private readonly MessageComposer _composer;

    public MessageComposerTests() => _composer = new MessageComposer(Options.Create(new RelayHostOptions { HostName = "relay.example" }), _clock);

    private static SendMessageRequest Request(string? text = "text", string? html = null, List<AttachmentInput>? attachments = null) => new(
        new AddressInput("from@example.com", "Sender Näme"), new AddressList([new AddressInput("to@example.org", null)]),
        new AddressList([new AddressInput("cc@example.org", "Cc")]), new AddressList([new AddressInput("bcc@example.org", null)]),
        new AddressList([new AddressInput("reply@example.com", null)]), "Sübject", text, html,
        new Dictionary<string, string> { ["X-Tracking"] = "abc" }, attachments, null, null);

    private MimeMessage Compose(SendMessageRequest request, out MessageId id, out byte[] raw)
    {
        id = MessageId.New(_clock);
        raw = _composer.Compose(id, request, null);
        return MimeMessage.Load(new MemoryStream(raw));
    }

    [Fact]
    public void Compose_SetsHeadersAndOmitsBcc()
    {
        var message = Compose(Request(), out var id, out var raw);

        Assert.Equal("Sender Näme", ((MailboxAddress)message.From[0]).Name);
        Assert.Equal("to@example.org", message.To.Mailboxes.Single().Address);
        Assert.Equal("cc@example.org", message.Cc.Mailboxes.Single().Address);
        Assert.Empty(message.Bcc);
        Assert.DoesNotContain("bcc@example.org", System.Text.Encoding.ASCII.GetString(raw));
        Assert.Equal("reply@example.com", message.ReplyTo.Mailboxes.Single().Address);
        Assert.Equal("Sübject", message.Subject);
        Assert.Equal($"{id}@relay.example", message.MessageId);
        Assert.Equal(_clock.GetUtcNow(), message.Date);
        Assert.Equal("abc", message.Headers["X-Tracking"]);
    }

    // The constructor is given Date and Message-ID so that MimeKit does not make up its own first;
    // each header must still be there exactly once, in the usual order.
    [Fact]
    public void Compose_WritesEachTopHeaderOnce_InTheUsualOrder()
    {
        var message = Compose(Request(), out _, out _);

        var names = message.Headers.Select(h => h.Field).ToArray();
        Assert.Equal(["From", "Date", "Subject", "Message-Id", "To", "Cc", "Reply-To"], names.Take(7));
        Assert.Equal(names.Length, names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }

    [Fact]
    public void Compose_TextAndHtml_IsMultipartAlternative()
    {
        var message = Compose(Request("plain", "<b>rich</b>"), out _, out _);

        Assert.Equal("multipart/alternative", message.Body!.ContentType.MimeType);
        Assert.Equal("plain", message.TextBody?.Trim());
        Assert.Equal("<b>rich</b>", message.HtmlBody?.Trim());
    }

    [Fact]
    public void Compose_WithAttachmentsAndInlineImage_RoundTripsTheBytes()
    {
        var pdf = new byte[] { 0x25, 0x50, 0x44, 0x46, 0x00, 0xff };
        var png = new byte[] { 0x89, 0x50, 0x4e, 0x47 };
        var message = Compose(Request("t", "<img src=\"cid:logo@x\">", [
            new AttachmentInput("a.pdf", Convert.ToBase64String(pdf), "application/pdf", null),
            new AttachmentInput("logo.png", Convert.ToBase64String(png), "image/png", "logo@x"),
        ]), out _, out _);

        Assert.Equal("multipart/mixed", message.Body!.ContentType.MimeType);
        var attachment = Assert.IsType<MimePart>(Assert.Single(message.Attachments));
        Assert.Equal("a.pdf", attachment.FileName);
        Assert.Equal(pdf, Decode(attachment));
        var inline = message.BodyParts.OfType<MimePart>().Single(p => p.ContentId == "logo@x");
        Assert.Equal(png, Decode(inline));
    }

    [Fact]
    public void Compose_Output_IsSevenBitWithCrlfLineEndings()
    {
        Compose(Request("Grüße aus Köln, a long line " + new string('x', 200)), out _, out var raw);

        Assert.All(raw, b => Assert.True(b < 128));
        for (var i = 0; i < raw.Length; i++)
            if (raw[i] == '\n') Assert.Equal((byte)'\r', raw[i - 1]);
    }

    private static byte[] Decode(MimePart part)
    {
        using var output = new MemoryStream();
        part.Content!.DecodeTo(output);
        return output.ToArray();
    }
}
