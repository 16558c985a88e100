using System.Net;
using System.Text;
using System.Text.Json;
using EmailApi.Feedback;
using EmailApi.Tests.Accounts;
using EmailApi.Tests.Delivery;
using EmailApi.Tests.Domains;
using EmailApi.Tests.Events;
using EmailApi.Tests.Storage;
using EmailApi.TestKit;
using System.Net.Http.Json;
using MailKit.Net.Smtp;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace EmailApi.Tests.Feedback;

/// <summary>
/// The whole loop in one host: mail leaves with a VERP return path, a report comes back to the
/// inbound listener over SMTP, and the account sees the result: the recipient's status, the event
/// timeline, the suppression list and its webhooks. Runs on SQLite and on PostgreSQL.
/// </summary>
public abstract class InboundTests : IAsyncLifetime
{
    private InboundHarness? _inbound;
    private InboundHarness I => _inbound ?? throw new InvalidOperationException("Not initialised.");
    private DeliveryHarness H => I.H;

    /// <summary>The storage settings of the engine under test.</summary>
    protected abstract Task<IReadOnlyDictionary<string, string?>> StorageAsync();

    public async Task InitializeAsync() => _inbound = new InboundHarness(await StorageAsync());

    public async Task DisposeAsync()
    {
        if (_inbound is not null) await _inbound.DisposeAsync();
    }

    private static async Task<WebhookReceiver> SubscribeAsync(HttpClient shop)
    {
        var receiver = await WebhookReceiver.StartAsync();
        var created = await shop.PostAsJsonAsync("/v1/webhooks", new { url = receiver.Url, events = new[] { "bounced", "complained", "unsubscribed" } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return receiver;
    }

    private static JsonElement Data(ReceivedWebhook hook) => JsonDocument.Parse(hook.Body).RootElement.GetProperty("data").Clone();

    private static string TypeOf(ReceivedWebhook hook) => JsonDocument.Parse(hook.Body).RootElement.GetProperty("type").GetString()!;

    [Fact]
    public async Task PostfixDsnToTheReturnPath_HardBounce_SuppressesTheRecipient()
    {
        var (shop, returnPath, id) = await I.SendFromVerifiedDomainAsync("gone@dest.test");

        await I.SendReportAsync(returnPath, ReportSamples.Load(ReportSamples.Postfix.Replace("nobody@example.org", "gone@dest.test")));

        var suppression = await InboundHarness.WaitForSuppressionAsync(shop, "gone@dest.test", TimeSpan.FromSeconds(30));
        Assert.NotNull(suppression);
        Assert.Equal("bounce", suppression.Value.GetProperty("reason").GetString());
        Assert.Equal("feedback", suppression.Value.GetProperty("source").GetString());

        // The admin sees the report and what it changed (recorded just after the suppression); the shop's own key may not look.
        await I.WaitForProcessedAsync(1, TimeSpan.FromSeconds(30));
        var page = await TestApp.ReadJsonAsync(await H.Client.GetAsync("/v1/inbound?classification=dsn"));
        var item = Assert.Single(page.GetProperty("items").EnumerateArray());
        Assert.Equal(("processed", "valid", "suppressed"), (item.GetProperty("state").GetString(), item.GetProperty("tokenCheck").GetString(), item.GetProperty("effect").GetString()));
        Assert.Equal(returnPath, item.GetProperty("rcptTo").GetString());
        var reported = item.GetProperty("detail").GetProperty("recipients")[0];
        Assert.Equal(("5.1.1", "hard", "relay.example.net"), (reported.GetProperty("status").GetString(), reported.GetProperty("kind").GetString(), item.GetProperty("detail").GetProperty("reportingMta").GetString()));
        Assert.Equal(HttpStatusCode.Forbidden, (await shop.GetAsync("/v1/inbound")).StatusCode);

        // The message detail shows the report against its recipient.
        var message = await TestApp.ReadJsonAsync(await shop.GetAsync($"/v1/messages/{id}"));
        var shown = Assert.Single(message.GetProperty("inboundReports").EnumerateArray());
        Assert.Equal(("gone@dest.test", "dsn", "suppressed"), (shown.GetProperty("recipient").GetString(), shown.GetProperty("classification").GetString(), shown.GetProperty("effect").GetString()));
        Assert.Equal("failed", shown.GetProperty("detail").GetProperty("recipients")[0].GetProperty("action").GetString());
        Assert.Equal("bounced", shown.GetProperty("recipientStatus").GetString());
    }

    [Fact]
    public async Task BounceAfterDelivery_TurnsTheRecipientBouncedAsync_ShowsTheReportInTheTimeline_AndFiresTheWebhook()
    {
        var (shop, returnPath, id) = await I.SendFromVerifiedDomainAsync("gone@dest.test");
        await using var hooks = await SubscribeAsync(shop);

        await I.SendReportAsync(returnPath, ReportSamples.Load(ReportSamples.Postfix.Replace("nobody@example.org", "gone@dest.test")));

        var recipient = await InboundHarness.WaitForRecipientAsync(shop, id, "bounced", TimeSpan.FromSeconds(30));
        Assert.True(recipient.GetProperty("async").GetBoolean());
        Assert.StartsWith("550 5.1.1", recipient.GetProperty("lastResponse").GetString());
        var message = await TestApp.ReadJsonAsync(await shop.GetAsync($"/v1/messages/{id}"));
        Assert.Equal("bounced", message.GetProperty("status").GetString());
        var events = message.GetProperty("events").EnumerateArray().ToArray();
        Assert.Equal(["queued", "delivered", "bounced"], events.Select(e => e.GetProperty("type").GetString()!));
        Assert.False(events[1].GetProperty("async").GetBoolean());
        var report = events[2].GetProperty("report");
        Assert.True(events[2].GetProperty("async").GetBoolean());
        Assert.Equal(("relay.example.net", "failed", "5.1.1", "dsn"), (report.GetProperty("reportingMta").GetString(), report.GetProperty("action").GetString(),
            report.GetProperty("status").GetString(), report.GetProperty("classification").GetString()));
        Assert.Contains("User unknown", report.GetProperty("diagnostic").GetString());

        // The message log shows it among the bounced, marked async.
        var listed = await TestApp.ReadJsonAsync(await shop.GetAsync("/v1/messages?status=bounced"));
        var item = Assert.Single(listed.GetProperty("items").EnumerateArray());
        Assert.Equal((id, "bounced", true), (item.GetProperty("id").GetString(), item.GetProperty("recipients")[0].GetProperty("status").GetString(),
            item.GetProperty("recipients")[0].GetProperty("async").GetBoolean()));

        await hooks.WaitForAsync(r => r.Any(h => TypeOf(h) == "message.bounced"), TimeSpan.FromSeconds(30));
        var data = Data(hooks.Accepted.Single(h => TypeOf(h) == "message.bounced"));
        Assert.Equal((id, "gone@dest.test", true, "5.1.1"), (data.GetProperty("messageId").GetString(), data.GetProperty("recipient").GetString(),
            data.GetProperty("async").GetBoolean(), data.GetProperty("report").GetProperty("status").GetString()));
    }

    [Fact]
    public async Task ReportWithATokenOfAnotherAccount_ToItsOwnReturnPathDomain_ChangesNothing()
    {
        var (shop, returnPath, id) = await I.SendFromVerifiedDomainAsync("kept@dest.test");
        var (other, _, _) = await I.SendFromVerifiedDomainAsync("someone@dest.test", "other", "other.test");
        // shop's valid token, aimed through the other account's return-path domain.
        var crossed = returnPath.Replace("@bounces.shop.test", "@bounces.other.test", StringComparison.Ordinal);

        await I.SendReportAsync(crossed, ReportSamples.Load(ReportSamples.Postfix.Replace("nobody@example.org", "kept@dest.test")));

        var report = Assert.Single(await I.WaitForProcessedAsync(1, TimeSpan.FromSeconds(30)));
        Assert.Equal(("other-account", "none", null), (report.TokenCheck, report.Effect, report.AccountId));
        Assert.Null(await InboundHarness.WaitForSuppressionAsync(shop, "kept@dest.test", TimeSpan.FromSeconds(0.5)));
        Assert.Null(await InboundHarness.WaitForSuppressionAsync(other, "kept@dest.test", TimeSpan.FromSeconds(0.5)));
        var recipient = (await TestApp.ReadJsonAsync(await shop.GetAsync($"/v1/messages/{id}"))).GetProperty("recipients")[0];
        Assert.Equal(("delivered", false), (recipient.GetProperty("status").GetString(), recipient.GetProperty("async").GetBoolean()));
    }

    [Fact]
    public async Task MailedUnsubscribe_ToTheListUnsubscribeMailto_SuppressesLikeTheOneClickPost()
    {
        var mx = I.Destination;
        var shop = await I.VerifiedAccountAsync();
        await using var hooks = await SubscribeAsync(shop.Client);
        var sent = await shop.SendAsync(new { from = "news@shop.test", to = "reader@dest.test", subject = "News", text = "x", unsubscribe = true });
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        var received = await mx.WaitForMessageAsync(TimeSpan.FromSeconds(30));
        var mailto = System.Text.RegularExpressions.Regex.Match(received.Text, @"<mailto:(unsub\+[^>@]+@mx\.relay\.test)>").Groups[1].Value;
        Assert.StartsWith("unsub+", mailto);

        // What a mailbox provider sends when the reader picks "unsubscribe" (RFC 2369): any message to that address.
        using var request = new MimeMessage();
        request.From.Add(MailboxAddress.Parse("reader@dest.test"));
        request.To.Add(MailboxAddress.Parse(mailto));
        request.Subject = "unsubscribe";
        request.Body = new TextPart("plain") { Text = "unsubscribe" };
        await I.SendReportAsync(mailto, request);

        var suppression = await InboundHarness.WaitForSuppressionAsync(shop.Client, "reader@dest.test", TimeSpan.FromSeconds(30));
        Assert.NotNull(suppression);
        Assert.Equal("unsubscribe", suppression.Value.GetProperty("source").GetString());
        var report = Assert.Single(await I.WaitForProcessedAsync(1, TimeSpan.FromSeconds(30)));
        Assert.Equal("suppressed", report.Effect);
        await hooks.WaitForAsync(r => r.Any(h => TypeOf(h) == "message.unsubscribed"), TimeSpan.FromSeconds(30));
        var data = Data(hooks.Accepted.Single(h => TypeOf(h) == "message.unsubscribed"));
        Assert.Equal(("reader@dest.test", "Unsubscribed via mailto"), (data.GetProperty("recipient").GetString(), data.GetProperty("detail").GetString()));
    }

    [Fact]
    public async Task ArfComplaintToTheReturnPath_SuppressesTheRecipientAsComplaint()
    {
        var (shop, returnPath, id) = await I.SendFromVerifiedDomainAsync("angry@dest.test");
        await using var hooks = await SubscribeAsync(shop);

        await I.SendReportAsync(returnPath, ReportSamples.Arf());

        var suppression = await InboundHarness.WaitForSuppressionAsync(shop, "angry@dest.test", TimeSpan.FromSeconds(30));
        Assert.NotNull(suppression);
        Assert.Equal("complaint", suppression.Value.GetProperty("reason").GetString());
        var recipient = await InboundHarness.WaitForRecipientAsync(shop, id, "complained", TimeSpan.FromSeconds(30));
        Assert.True(recipient.GetProperty("async").GetBoolean());
        var last = (await TestApp.ReadJsonAsync(await shop.GetAsync($"/v1/messages/{id}"))).GetProperty("events").EnumerateArray().Last();
        Assert.Equal(("complained", "abuse"), (last.GetProperty("type").GetString(), last.GetProperty("report").GetProperty("feedbackType").GetString()));
        await hooks.WaitForAsync(r => r.Any(h => TypeOf(h) == "message.complained"), TimeSpan.FromSeconds(30));
        var data = Data(hooks.Accepted.Single(h => TypeOf(h) == "message.complained"));
        Assert.Equal(("angry@dest.test", true, "abuse"), (data.GetProperty("recipient").GetString(), data.GetProperty("async").GetBoolean(),
            data.GetProperty("report").GetProperty("feedbackType").GetString()));
    }

    [Fact]
    public async Task SoftBounce_SuppressesOnlyOnceTheConfiguredNumberArrives()
    {
        var (shop, returnPath, _) = await I.SendFromVerifiedDomainAsync("full@dest.test");
        var full = ReportSamples.Exchange.Replace("full@contoso.com", "full@dest.test");   // 5.2.2 mailbox full: soft

        await I.SendReportAsync(returnPath, ReportSamples.Load(full));
        var first = Assert.Single(await I.WaitForProcessedAsync(1, TimeSpan.FromSeconds(30)));
        Assert.Equal(("soft-bounce", "bounced"), (first.Effect, first.RecipientStatus));   // not delivered, but the address is kept
        Assert.Null(await InboundHarness.WaitForSuppressionAsync(shop, "full@dest.test", TimeSpan.FromSeconds(0.5)));

        await I.SendReportAsync(returnPath, ReportSamples.Load(full));
        var suppression = await InboundHarness.WaitForSuppressionAsync(shop, "full@dest.test", TimeSpan.FromSeconds(30));
        Assert.NotNull(suppression);
        Assert.Equal("soft-bounces", suppression.Value.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task ForgedToken_AcceptedButChangesNothing_KeptForInspection()
    {
        var (shop, returnPath, id) = await I.SendFromVerifiedDomainAsync("kept@dest.test");
        await using var hooks = await SubscribeAsync(shop);
        // One character of the recipient id changed, as someone aiming a report at another recipient would.
        var chars = returnPath.ToCharArray();
        chars[2 + 30] = chars[2 + 30] == 'a' ? 'b' : 'a';
        var forged = new string(chars);

        await I.SendReportAsync(forged, ReportSamples.Load(ReportSamples.Postfix.Replace("nobody@example.org", "kept@dest.test")));

        var report = Assert.Single(await I.WaitForProcessedAsync(1, TimeSpan.FromSeconds(30)));
        Assert.Equal("forged", report.TokenCheck);
        Assert.Equal("dsn", report.Classification);
        Assert.Equal("none", report.Effect);
        Assert.Null(await InboundHarness.WaitForSuppressionAsync(shop, "kept@dest.test", TimeSpan.FromSeconds(1)));
        var message = await TestApp.ReadJsonAsync(await shop.GetAsync($"/v1/messages/{id}"));
        Assert.Empty(message.GetProperty("inboundReports").EnumerateArray());   // a forged report never shows on a message
        var recipient = message.GetProperty("recipients")[0];
        Assert.Equal(("delivered", false), (recipient.GetProperty("status").GetString(), recipient.GetProperty("async").GetBoolean()));
        Assert.DoesNotContain(message.GetProperty("events").EnumerateArray(), e => e.GetProperty("async").GetBoolean());
        Assert.Empty(hooks.All);
    }

    [Fact]
    public async Task RcptToAnyOtherDomain_Refused550_5_7_1_EveryTime()
    {
        using var client = new SmtpClient { Timeout = 15_000 };
        await client.ConnectAsync("127.0.0.1", I.InboundPort, MailKit.Security.SecureSocketOptions.None);
        var refused = 0;
        foreach (var rcpt in Enumerable.Range(0, 20).Select(i => i % 2 == 0 ? $"user{i}@elsewhere.example" : $"b+x{i}@bounces.notours.example"))
        {
            var message = new MimeMessage { Subject = "relay?", Body = new TextPart("plain") { Text = "x" } };
            message.From.Add(MailboxAddress.Parse("spammer@example.net"));
            var ex = await Assert.ThrowsAsync<SmtpCommandException>(() => client.SendAsync(message, MailboxAddress.Parse("spammer@example.net"), [MailboxAddress.Parse(rcpt)]));
            Assert.Equal(SmtpStatusCode.MailboxUnavailable, ex.StatusCode);   // 550
            Assert.Contains("5.7.1", ex.Message + string.Join("", ex.Data.Values.Cast<object>()), StringComparison.Ordinal);
            refused++;
        }
        Assert.Equal(20, refused);
        Assert.Empty(await H.App.Services.GetRequiredService<IFeedbackStore>().ListAsync(null, null, null, null, 10, CancellationToken.None));
    }

    /// <summary>Hostile MIME a remote MTA could send: each must be stored, processed and left unrecognised or harmless, never stuck.</summary>
    /// <remarks>Expected: the reply's start; the listener's own header limits refuse two at the door.</remarks>
    private static IEnumerable<(string Name, byte[] Raw, string Expected)> MalformedCorpus()
    {
        static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text.ReplaceLineEndings("\r\n"));
        var deep = new StringBuilder();
        for (var i = 0; i < 2000; i++) deep.Append($"Content-Type: multipart/mixed; boundary=\"b{i}\"\n\n--b{i}\n");
        yield return ("2000 nested multiparts", Ascii("From: x@remote.test\n" + deep + "\nend\n"), "250");
        var wide = new StringBuilder("From: x@remote.test\nContent-Type: multipart/report; report-type=delivery-status; boundary=w\n\n");
        for (var i = 0; i < 3000; i++) wide.Append("--w\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; a\n\nFinal-Recipient: rfc822; x\nAction: failed\nStatus: 5.1.1\n\n");
        yield return ("3000 delivery-status parts", Ascii(wide + "--w--\n"), "250");
        var groups = new StringBuilder("From: x@remote.test\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; a\n\n");
        for (var i = 0; i < 20000; i++) groups.Append($"Final-Recipient: rfc822; u{i}@x\nAction: failed\nStatus: 5.{i % 10}.{i}\n\n");
        yield return ("20000 recipient groups", Ascii(groups.ToString()), "250");
        var rfc822 = new StringBuilder();
        for (var i = 0; i < 500; i++) rfc822.Append("From: x@remote.test\nContent-Type: message/rfc822\n\n");
        yield return ("500 nested message/rfc822", Ascii(rfc822 + "Subject: inner\n\nx\n"), "250");
        yield return ("a 512 KB folded header", Ascii("From: x@remote.test\nX-Long: " + string.Join("\n ", Enumerable.Repeat(new string('h', 500), 1000)) + "\n\nbody\n"), "552 5.3.4");
        yield return ("broken base64, charset and encoded words", Ascii(
            "From: =?x-unknown?B?////?= <x@remote.test>\nSubject: =?utf-8?Q?=ZZ=?=\nContent-Type: text/plain; charset=x-nonsense\nContent-Transfer-Encoding: base64\n\n!!!!not base64!!!!\n"), "250");
        yield return ("a report without its boundary", Ascii("From: x@remote.test\nContent-Type: multipart/report; report-type=delivery-status\n\n--\n--\nStatus: 5.1.1\n"), "250");
        yield return ("NUL and 8-bit bytes", [.. "From: x@remote.test\r\nX-Bin: "u8, 0, 0xff, 0xfe, 0x80, .. "\r\n\r\n"u8, 0, 1, 2, 0xff, .. "\r\n"u8], "554 5.6.0");
    }

    /// <summary>A raw SMTP conversation (no client library normalising the bytes); returns the reply to the end of DATA.</summary>
    private async Task<string> SendRawAsync(string rcpt, byte[] data)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, I.InboundPort);
        var stream = tcp.GetStream();
        var reader = new StreamReader(stream, Encoding.ASCII);
        async Task<string> ReplyAsync()
        {
            string line;
            do line = await reader.ReadLineAsync() ?? throw new IOException("connection closed");
            while (line.Length > 3 && line[3] == '-');
            return line;
        }
        async Task<string> CommandAsync(string command)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"));
            return await ReplyAsync();
        }
        Assert.StartsWith("220", await ReplyAsync());
        Assert.StartsWith("250", await CommandAsync("EHLO mta.remote.test"));
        Assert.StartsWith("250", await CommandAsync("MAIL FROM:<>"));
        Assert.StartsWith("250", await CommandAsync($"RCPT TO:<{rcpt}>"));
        Assert.StartsWith("354", await CommandAsync("DATA"));
        await stream.WriteAsync(data);
        return await CommandAsync("\r\n.");
    }

    [Fact]
    public async Task MalformedMimeCorpus_EachKeptAndProcessed_ListenerKeepsAnswering_LaterReportsStillWork()
    {
        var (shop, returnPath, id) = await I.SendFromVerifiedDomainAsync("gone@dest.test");
        var chars = returnPath.ToCharArray();
        chars[2 + 30] = chars[2 + 30] == 'a' ? 'b' : 'a';
        var forged = new string(chars);
        var corpus = MalformedCorpus().ToArray();

        foreach (var (name, raw, expected) in corpus)
        {
            var reply = await SendRawAsync(forged, raw);
            Assert.True(reply.StartsWith(expected, StringComparison.Ordinal), $"{name}: {reply}");
        }
        var accepted = corpus.Count(c => c.Expected == "250");
        // A good report after them is not held up by them.
        await I.SendReportAsync(returnPath, ReportSamples.Load(ReportSamples.Postfix.Replace("nobody@example.org", "gone@dest.test")));

        await InboundHarness.WaitForRecipientAsync(shop, id, "bounced", TimeSpan.FromSeconds(60));
        var reports = await I.WaitForProcessedAsync(accepted + 1, TimeSpan.FromSeconds(60));
        Assert.Equal(accepted + 1, reports.Count(r => r.State == "processed"));
        Assert.All(reports.Where(r => r.TokenCheck != "valid"), r => Assert.Equal(("forged", "none"), (r.TokenCheck, r.Effect)));
        Assert.StartsWith("250", await SendRawAsync(forged, "From: x@remote.test\r\n\r\nstill here\r\n"u8.ToArray()));
    }

    [Fact]
    public async Task TenMegabyteReport_Refused552()
    {
        await I.SendFromVerifiedDomainAsync("big@dest.test");
        var rcpt = "b+whatever@bounces.shop.test";
        var message = new MimeMessage { Subject = "huge", Body = new TextPart("plain") { Text = new string('x', 10 * 1024 * 1024) } };
        message.From.Add(MailboxAddress.Parse("postmaster@relay.example.net"));

        using var client = new SmtpClient { Timeout = 30_000 };
        await client.ConnectAsync("127.0.0.1", I.InboundPort, MailKit.Security.SecureSocketOptions.None);
        var ex = await Assert.ThrowsAsync<SmtpCommandException>(() => client.SendAsync(message, MailboxAddress.Parse("postmaster@relay.example.net"), [MailboxAddress.Parse(rcpt)]));

        Assert.Equal(SmtpStatusCode.ExceededStorageAllocation, ex.StatusCode);   // 552
    }
}

public sealed class SqliteInboundTests : InboundTests
{
    protected override Task<IReadOnlyDictionary<string, string?>> StorageAsync() => InboundHarness.SqliteStorageAsync();
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresInboundTests(PostgresServer server) : InboundTests
{
    protected override Task<IReadOnlyDictionary<string, string?>> StorageAsync() => InboundHarness.PostgresStorageAsync(server);
}
