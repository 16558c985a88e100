using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using EmailApi.Delivery;
using EmailApi.Mail;
using EmailApi.Queue;
using EmailApi.Sending;
using EmailApi.Tests.Delivery;
using Microsoft.Extensions.Options;
using MimeKit;

namespace EmailApi.Tests.Sending;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection
{
    /// <summary>Tests that watch the whole process (garbage collection) and so must not share it with other tests.</summary>
    public const string Name = "runs alone";
}

/// <summary>
/// Every MimeKit message the service builds or parses is disposed. MimeKit's messages, parts and
/// contents have finalizers; one left to the finalizer keeps itself and all it holds alive through
/// one more garbage collection. On the send path that was every message: under load each collection
/// carried ~6.5 MB of such messages into the next generation and paused for ~18 ms instead of ~4.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class MimeDisposalTests
{
    private static readonly Type[] MimeTypes = [typeof(MimeMessage), typeof(TextPart), typeof(MimePart), typeof(Multipart), typeof(MultipartAlternative), typeof(MimeContent)];

    [Fact]
    public void Composing_LeavesNoMimeObjectToTheFinalizer()
    {
        var composer = new MessageComposer(Options.Create(new RelayHostOptions { HostName = "relay.example" }), TimeProvider.System);
        var request = new SendMessageRequest(new AddressInput("from@example.com", "Sender"), new AddressList([new AddressInput("to@example.org", null)]),
            null, null, null, "Subject", "text", "<b>html</b>", null,
            [new AttachmentInput("a.bin", Convert.ToBase64String(new byte[] { 1, 2, 3 }), "application/octet-stream", null)], null, null);
        using var watch = new FinalizerWatch(MimeTypes);

        for (var i = 0; i < 20; i++) composer.Compose(MessageId.New(TimeProvider.System), request, null);

        Assert.Equal(0, watch.Finalized());
    }

    [Fact]
    public async Task SendingJsonAndRaw_AndDeliveringThem_LeaveNoMimeObjectToTheFinalizer()
    {
        await using var h = new DeliveryHarness();
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        h.Server("127.0.0.2");
        // The first delivery loads what a first delivery loads once (MailKit, DNS); only what follows is watched.
        await h.WaitForStatusAsync(await h.SendAsync(new { from = "s@example.com", to = "warm@dest.test", subject = "warm-up", text = "Hi" }), "delivered");
        using var watch = new FinalizerWatch(MimeTypes);

        for (var i = 0; i < 5; i++)
            await h.WaitForStatusAsync(await h.SendAsync(new { from = "s@example.com", to = $"r{i}@dest.test", subject = $"m{i}", text = "Hi", html = "<p>Hi</p>" }), "delivered");
        var raw = new ByteArrayContent(Encoding.ASCII.GetBytes("From: s@example.com\r\nTo: raw@dest.test\r\nBcc: hidden@dest.test\r\nSubject: raw\r\n\r\nHi\r\n"));
        raw.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");
        var accepted = await h.Client.PostAsync("/v1/send/raw", raw);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        await h.WaitForStatusAsync((await TestApp.ReadJsonAsync(accepted)).GetProperty("id").GetString()!, "delivered");

        Assert.Equal(0, watch.Finalized());
    }

    [Fact]
    public void TheWatch_SeesAnUndisposedMessage()
    {
        using var watch = new FinalizerWatch(MimeTypes);

        Abandon();

        Assert.True(watch.Finalized() >= 2);   // the message and its part
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Abandon() => _ = new MimeMessage { Body = new TextPart("plain") { Text = "left to the finalizer" } };
}
