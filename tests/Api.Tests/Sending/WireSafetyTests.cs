using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using EmailApi.Queue;
using EmailApi.Sending;
using EmailApi.Tests.Delivery;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace EmailApi.Tests.Sending;

/// <summary>
/// Issue #15, points 4 and 13, checked at a receiving server: what the HTTP doors let through never
/// reaches the next server with a bare CR or NUL, and HTTP mail carries a Received header.
/// </summary>
public sealed class WireSafetyTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("one\r.\rtwo")]
    [InlineData("one\r\n.\rtwo")]
    [InlineData("one\n.\ntwo")]
    [InlineData("one\r\rtwo\r")]
    public async Task Send_TextWithBareLineEndings_ArrivesWithCrlfOnly(string text)
    {
        await using var h = Harness(out var mx);

        await h.SendAsync(new { from = "a@example.com", to = "r@dest.test", subject = "shapes", text, html = $"<p>{text}</p>" });
        var received = await mx.WaitForMessageAsync(Wait);

        AssertWireSafe(received.Data);
        using var message = MimeMessage.Load(new MemoryStream(received.Data));
        Assert.Equal(Lf(text).TrimEnd(), message.TextBody?.TrimEnd());
        Assert.Equal($"<p>{Lf(text)}</p>", message.HtmlBody?.TrimEnd());
    }

    [Theory]
    [InlineData("one\r.\rtwo")]
    [InlineData("one\r\n.\rtwo")]
    [InlineData("one\n.\ntwo")]
    public async Task Batch_TextWithBareLineEndings_ArrivesWithCrlfOnly(string text)
    {
        await using var h = Harness(out var mx);

        var response = await h.Client.PostAsJsonAsync("/v1/send/batch", new { messages = new[] { new { from = "a@example.com", to = "r@dest.test", text } } });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = await mx.WaitForMessageAsync(Wait);

        AssertWireSafe(received.Data);
        using var message = MimeMessage.Load(new MemoryStream(received.Data));
        Assert.Equal(Lf(text).TrimEnd(), message.TextBody?.TrimEnd());
    }

    [Fact]
    public async Task Raw_LfOnlyMessageWithDotLine_ArrivesWholeWithCrlf()
    {
        await using var h = Harness(out var mx);
        var mime = "From: a@example.com\nTo: r@dest.test\nSubject: lf\n\none\n.\nMAIL FROM:<x@example.org>\nlast line\n";

        var response = await h.Client.PostAsync("/v1/send/raw", Raw(mime));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var received = await mx.WaitForMessageAsync(Wait);

        AssertWireSafe(received.Data);
        Assert.EndsWith("\r\n\r\none\r\n.\r\nMAIL FROM:<x@example.org>\r\nlast line\r\n", received.Text);
        Assert.Single(mx.Messages);
    }

    [Theory]
    [InlineData("one\r.\rtwo\r\n")]
    [InlineData("one\r\n.\rtwo\r\n")]
    [InlineData("one\0two\r\n")]
    public async Task Raw_BodyWithBareCrOrNul_IsRefusedAndNothingArrives(string body)
    {
        await using var h = Harness(out var mx);

        var refused = await h.Client.PostAsync("/v1/send/raw", Raw("From: a@example.com\r\nTo: r@dest.test\r\n\r\n" + body));
        var after = await h.SendAsync(new { from = "a@example.com", to = "r@dest.test", subject = "after", text = "x" });
        var received = await mx.WaitForMessageAsync(Wait);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("Subject: after", received.Text);   // the only message that reached the server
        await h.WaitForStatusAsync(after, "delivered");
        Assert.Single(mx.Messages);
    }

    [Fact]
    public async Task Relay_StoredMessageWithBareCr_IsFailedNotSent()
    {
        await using var h = Harness(out var mx);
        var submissions = h.App.Services.GetRequiredService<SubmissionService>();
        var accounts = h.App.Services.GetRequiredService<EmailApi.Accounts.AccountDirectory>();
        var account = await accounts.FindByNameAsync("default", CancellationToken.None);
        var raw = Encoding.ASCII.GetBytes("From: a@example.com\r\nTo: r@dest.test\r\nSubject: old\r\n\r\none\r.\rMAIL FROM:<x@example.org>\r\n");
        var id = MessageId.New(TimeProvider.System);

        var submitted = await submissions.SubmitAsync(new Submission(id, account!.Id, MessageSource.Api, "a@example.com", ["r@dest.test"], raw,
            "a@example.com", "old", [], null), CancellationToken.None);
        Assert.IsType<Submitted.Accepted>(submitted);
        var view = await h.WaitForStatusAsync(id.ToString(), "failed");

        Assert.Empty(mx.Messages);
        Assert.Contains("5.6.0", DeliveryHarness.Recipient(view, "r@dest.test").ToString());
    }

    [Fact]
    public async Task Send_ArrivesWithReceivedHeaderNamingHttp()
    {
        await using var h = Harness(out var mx);

        var id = await h.SendAsync(new { from = "a@example.com", to = "r@dest.test", subject = "traced", text = "x" });
        var received = await mx.WaitForMessageAsync(Wait);

        using var message = MimeMessage.Load(new MemoryStream(received.Data));
        var trace = message.Headers[HeaderId.Received];
        Assert.Matches(new Regex($@"^from \S+\s+by relay\.test \(EmailApi\) with HTTPA id {id};\s+\w{{3}}, "), trace);
        Assert.True(received.Text.IndexOf("Received:", StringComparison.Ordinal) < received.Text.IndexOf("\r\nFrom:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Raw_ArrivesWithReceivedHeaderNamingHttp()
    {
        await using var h = Harness(out var mx);

        var response = await h.Client.PostAsync("/v1/send/raw", Raw("From: a@example.com\r\nTo: r@dest.test\r\nSubject: raw traced\r\n\r\nx\r\n"));
        var id = (await TestApp.ReadJsonAsync(response)).GetProperty("id").GetString();
        var received = await mx.WaitForMessageAsync(Wait);

        using var message = MimeMessage.Load(new MemoryStream(received.Data));
        Assert.Matches(new Regex($@"^from \S+\s+by relay\.test \(EmailApi\) with HTTPA id {id};"), message.Headers[HeaderId.Received]);
    }

    private static DeliveryHarness Harness(out TestKit.FakeSmtpServer mx)
    {
        var h = new DeliveryHarness();
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        mx = h.Server("127.0.0.2");
        return h;
    }

    // MimeKit hands a decoded text part back with LF line breaks; on the wire they were CRLF (checked byte by byte above).
    private static string Lf(string text) => text.Replace("\r\n", "\n").Replace('\r', '\n');

    /// <summary>No NUL, and every CR is followed by LF (the receiving server turns any LF into a line end already).</summary>
    private static void AssertWireSafe(byte[] data)
    {
        Assert.DoesNotContain((byte)0, data);
        for (var i = 0; i < data.Length; i++)
            if (data[i] == '\r') Assert.True(i + 1 < data.Length && data[i + 1] == '\n', $"bare CR at {i}: {Encoding.UTF8.GetString(data)}");
    }

    private static ByteArrayContent Raw(string mime)
    {
        var content = new ByteArrayContent(Encoding.Latin1.GetBytes(mime));
        content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");
        return content;
    }
}
