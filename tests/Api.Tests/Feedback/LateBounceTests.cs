using System.Data.Common;
using System.Net;
using System.Text;
using System.Text.Json;
using Dapper;
using EmailApi.Feedback;
using EmailApi.Queue;
using EmailApi.SmtpBridge;
using EmailApi.Storage;
using EmailApi.Tests.Accounts;
using EmailApi.Tests.Storage;
using EmailApi.TestKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace EmailApi.Tests.Feedback;

/// <summary>
/// A bounce that comes back after the remote system accepted the message reaches the envelope sender
/// as a bounce notification (RFC 3464), under the rule of bounces at delivery time: always for SMTP
/// submissions, for HTTP ones with <c>Delivery:DsnForApi</c>, never for a null sender; complaints and
/// delays are never passed on, and each recipient's bounce is reported once however often it is
/// reported to us. The notification is delivered through the test DNS (MX of <c>shop.test</c>) to a
/// real receiving SMTP server at 127.0.0.3. Runs on SQLite and on PostgreSQL.
/// </summary>
public abstract class LateBounceTests
{
    private const string Sender = "news@shop.test";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    /// <summary>The storage settings of the engine under test (a new database each call).</summary>
    protected abstract Task<IReadOnlyDictionary<string, string?>> StorageAsync();

    /// <summary>The host and the shop with its verified domain, whose own mailbox (the MX of <c>shop.test</c>) is at 127.0.0.3.</summary>
    private async Task<Scene> StartAsync(bool dsnForApi = false)
    {
        var inbound = new InboundHarness(await StorageAsync(), new Dictionary<string, string?> { ["Delivery:DsnForApi"] = dsnForApi ? "true" : "false" });
        inbound.H.Dns.Mx("shop.test", 10, "mx.shop.test").A("mx.shop.test", "127.0.0.3");
        var mailbox = inbound.H.Server("127.0.0.3");
        return new Scene(inbound, mailbox, await inbound.VerifiedAccountAsync());
    }

    private sealed record Scene(InboundHarness Inbound, FakeSmtpServer SenderMailbox, TestAccount Shop) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Inbound.DisposeAsync();
    }

    /// <summary>Submits over the SMTP bridge (AUTH with the account's key) and waits for the delivery; returns the message id and the recipient's return path.</summary>
    private static async Task<(string Id, string ReturnPath)> SubmitOverSmtpAsync(InboundHarness inbound, TestAccount shop, string to)
    {
        var bridge = inbound.H.App.Services.GetRequiredService<SmtpBridgeHost>().SubmissionEndPoint!;
        using (var client = new SmtpClient { CheckCertificateRevocation = false, Timeout = 15_000 })
        {
            client.ServerCertificateValidationCallback = (_, _, _, _) => true;
            await client.ConnectAsync(bridge.Address.ToString(), bridge.Port, SecureSocketOptions.StartTls);
            await client.AuthenticateAsync("apikey", shop.Key);
            using var message = new MimeMessage();
            message.From.Add(MailboxAddress.Parse(Sender));
            message.To.Add(MailboxAddress.Parse(to));
            message.Subject = "Order 42";
            message.Body = new TextPart("plain") { Text = "Thank you for your order." };
            await client.SendAsync(message);
            await client.DisconnectAsync(true);
        }
        var received = await WaitForCopyAsync(inbound, to);
        var listed = await TestApp.ReadJsonAsync(await shop.Client.GetAsync($"/v1/messages?source=smtp&recipient={to}"));
        var id = Assert.Single(listed.GetProperty("items").EnumerateArray()).GetProperty("id").GetString()!;
        await InboundHarness.WaitForRecipientAsync(shop.Client, id, "delivered", Wait);
        return (id, received.From);
    }

    private static async Task<(string Id, string ReturnPath)> SendOverHttpAsync(InboundHarness inbound, TestAccount shop, string to)
    {
        var sent = await shop.SendAsync(new { from = Sender, to, subject = "Order 42", text = "x" });
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        var id = (await TestApp.ReadJsonAsync(sent)).GetProperty("id").GetString()!;
        var received = await WaitForCopyAsync(inbound, to);
        await InboundHarness.WaitForRecipientAsync(shop.Client, id, "delivered", Wait);
        return (id, received.From);
    }

    /// <summary>The copy <c>dest.test</c>'s MX received for <paramref name="to"/>, which left with the recipient's own return path.</summary>
    private static async Task<ReceivedMessage> WaitForCopyAsync(InboundHarness inbound, string to)
    {
        var until = DateTime.UtcNow + Wait;
        while (true)
        {
            if (inbound.Destination.Messages.FirstOrDefault(m => m.Recipients.Contains(to)) is { } copy)
            {
                Assert.StartsWith("b+", copy.From);
                return copy;
            }
            if (DateTime.UtcNow > until) throw new TimeoutException($"No copy for {to} arrived.");
            await Task.Delay(100);
        }
    }

    private static MimeMessage Postfix550(string recipient) => ReportSamples.Load(ReportSamples.Postfix.Replace("nobody@example.org", recipient));

    /// <summary>Once every report sent is processed and nothing is left to deliver (a notification that was going to be sent has been), the sender got <paramref name="notifications"/>.</summary>
    private static async Task SettledWithNotificationsAsync(Scene scene, int reports, int notifications)
    {
        var processed = await scene.Inbound.WaitForProcessedAsync(reports, Wait);
        Assert.Equal(reports, processed.Count(r => r.State == "processed"));
        await scene.Inbound.H.WaitForQueueDrainedAsync();
        Assert.Equal(notifications, scene.SenderMailbox.Messages.Count);
        Assert.Equal(notifications, (await NotificationsInTheLogAsync(scene.Shop.Client)).Length);
    }

    private static async Task<JsonElement[]> NotificationsInTheLogAsync(HttpClient client) =>
        (await TestApp.ReadJsonAsync(await client.GetAsync("/v1/messages?source=dsn"))).GetProperty("items").EnumerateArray().ToArray();

    [Fact]
    public async Task SmtpSubmission_BouncedLater_SenderReceivesAnRfc3464NotificationWithTheRemoteStatus()
    {
        await using var scene = await StartAsync();
        var (inbound, senderMailbox, shop) = scene;
        var (id, returnPath) = await SubmitOverSmtpAsync(inbound, shop, "gone@dest.test");

        await inbound.SendReportAsync(returnPath, Postfix550("gone@dest.test"));

        var dsn = await senderMailbox.WaitForMessageAsync(Wait);
        Assert.Equal("", dsn.From);   // MAIL FROM:<>: a bounce of it can never produce another
        Assert.Equal([Sender], dsn.Recipients);
        using var mime = MimeMessage.Load(new MemoryStream(dsn.Data));
        var report = Assert.IsType<MultipartReport>(mime.Body);
        Assert.Equal("delivery-status", report.ReportType);
        var status = Assert.Single(report.OfType<MessageDeliveryStatus>());
        Assert.Equal("dns; relay.test", status.StatusGroups[0]["Reporting-MTA"]);
        Assert.Equal(id, status.StatusGroups[0]["X-EmailApi-Queue-ID"]);
        var recipient = Assert.Single(status.StatusGroups.Skip(1), g => g.Count > 0);
        Assert.Equal(("rfc822; gone@dest.test", "failed", "5.1.1", "dns; mx.example.org"),
            (recipient["Final-Recipient"], recipient["Action"], recipient["Status"], recipient["Remote-MTA"]));
        Assert.Equal("smtp; 550 5.1.1 <gone@dest.test>: Recipient address rejected: User unknown", recipient["Diagnostic-Code"]);
        Assert.Contains("Subject: Order 42", Encoding.ASCII.GetString(dsn.Data));   // the original header block comes back
        Assert.Equal("auto-replied", mime.Headers["Auto-Submitted"]);
        await InboundHarness.WaitForRecipientAsync(shop.Client, id, "bounced", Wait);

        // The notification is in the shop's message log like one sent at delivery time, and nowhere else.
        var logged = Assert.Single(await NotificationsInTheLogAsync(shop.Client));
        var dsnId = logged.GetProperty("id").GetString()!;
        Assert.Equal(mime.MessageId, $"{dsnId}@relay.test");
        Assert.Equal(Sender, (await InboundHarness.WaitForRecipientAsync(shop.Client, dsnId, "delivered", Wait)).GetProperty("email").GetString());
        var detail = await TestApp.ReadJsonAsync(await shop.Client.GetAsync($"/v1/messages/{dsnId}"));
        Assert.Equal(("dsn", "bounce", id), (detail.GetProperty("source").GetString(), Assert.Single(detail.GetProperty("tags").EnumerateArray()).GetString(),
            detail.GetProperty("metadata").GetProperty("originalMessageId").GetString()));
        var other = await new AdminApi(inbound.H.App).CreateAccountAsync("other");
        Assert.Equal(HttpStatusCode.NotFound, (await other.Client.GetAsync($"/v1/messages/{dsnId}")).StatusCode);
        Assert.Empty(await NotificationsInTheLogAsync(other.Client));
    }

    [Fact]
    public async Task ApiSubmission_BouncedLater_SendsNoNotificationByDefault()
    {
        await using var scene = await StartAsync();
        var (inbound, _, shop) = scene;
        var (id, returnPath) = await SendOverHttpAsync(inbound, shop, "gone@dest.test");

        await inbound.SendReportAsync(returnPath, Postfix550("gone@dest.test"));

        await InboundHarness.WaitForRecipientAsync(shop.Client, id, "bounced", Wait);
        await SettledWithNotificationsAsync(scene, 1, 0);
    }

    [Fact]
    public async Task ApiSubmission_BouncedLater_WithDsnForApi_SenderReceivesTheNotification()
    {
        await using var scene = await StartAsync(dsnForApi: true);
        var (inbound, senderMailbox, shop) = scene;
        var (id, returnPath) = await SendOverHttpAsync(inbound, shop, "gone@dest.test");

        await inbound.SendReportAsync(returnPath, Postfix550("gone@dest.test"));

        var dsn = await senderMailbox.WaitForMessageAsync(Wait);
        Assert.Equal(("", Sender), (dsn.From, Assert.Single(dsn.Recipients)));
        using var mime = MimeMessage.Load(new MemoryStream(dsn.Data));
        var status = Assert.Single(Assert.IsType<MultipartReport>(mime.Body).OfType<MessageDeliveryStatus>());
        Assert.Equal(id, status.StatusGroups[0]["X-EmailApi-Queue-ID"]);
        Assert.Equal("5.1.1", status.StatusGroups[1]["Status"]);
    }

    [Fact]
    public async Task SameReportTwice_ProcessedAgainAndBySecondNode_AndALaterReport_SenderHearsOnce()
    {
        await using var scene = await StartAsync();
        var (inbound, senderMailbox, shop) = scene;
        var (_, returnPath) = await SubmitOverSmtpAsync(inbound, shop, "gone@dest.test");
        var report = Postfix550("gone@dest.test");

        await inbound.SendReportAsync(returnPath, report);
        await senderMailbox.WaitForMessageAsync(Wait);
        // The remote MTA sends it again, and then a second, different report for the recipient.
        await inbound.SendReportAsync(returnPath, report);
        await inbound.SendReportAsync(returnPath, ReportSamples.Load(ReportSamples.Exchange.Replace("full@contoso.com", "gone@dest.test")));
        // A crash between the effects and marking the report processed runs it again; two nodes run it at once.
        using var raw = new MemoryStream();
        await report.WriteToAsync(raw);
        var processor = inbound.H.App.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<FeedbackProcessor>().Single();
        var again = new InboundReport(MessageId.New(TimeProvider.System).ToString(), DateTimeOffset.UtcNow, "127.0.0.1", "", returnPath, raw.ToArray());
        var results = await Task.WhenAll(processor.ProcessAsync(again, CancellationToken.None), processor.ProcessAsync(again, CancellationToken.None));

        Assert.All(results, r => Assert.Equal(("valid", null), (r.TokenCheck, r.RecipientStatus)));   // the recipient was bounced already
        await SettledWithNotificationsAsync(scene, 3, 1);
    }

    [Fact]
    public async Task ComplaintAndDelayReports_SendNoNotification()
    {
        await using var scene = await StartAsync();
        var (inbound, _, shop) = scene;
        var (complainedId, complainedPath) = await SubmitOverSmtpAsync(inbound, shop, "angry@dest.test");
        var (delayedId, delayedPath) = await SubmitOverSmtpAsync(inbound, shop, "slow@dest.test");

        await inbound.SendReportAsync(complainedPath, ReportSamples.Arf());
        await inbound.SendReportAsync(delayedPath, ReportSamples.Load(ReportSamples.PostfixDelayed.Replace("slow@example.org", "slow@dest.test")));

        await InboundHarness.WaitForRecipientAsync(shop.Client, complainedId, "complained", Wait);
        await SettledWithNotificationsAsync(scene, 2, 0);
        await InboundHarness.WaitForRecipientAsync(shop.Client, delayedId, "delivered", TimeSpan.Zero);
    }

    [Fact]
    public async Task NotificationBouncedLater_NullSender_SendsNoFurtherNotification()
    {
        await using var scene = await StartAsync();
        var (inbound, senderMailbox, shop) = scene;
        var (_, returnPath) = await SubmitOverSmtpAsync(inbound, shop, "gone@dest.test");
        await inbound.SendReportAsync(returnPath, Postfix550("gone@dest.test"));
        await senderMailbox.WaitForMessageAsync(Wait);
        var dsnId = Assert.Single(await NotificationsInTheLogAsync(shop.Client)).GetProperty("id").GetString()!;
        await InboundHarness.WaitForRecipientAsync(shop.Client, dsnId, "delivered", Wait);

        // The notification left from the null sender, so no report can name it; one that does anyway
        // (a valid token for its recipient, as a confused remote system might aim it) bounces it and stops there.
        var dsnReturnPath = await ReturnPathOfAsync(inbound, dsnId);
        await inbound.SendReportAsync(dsnReturnPath, Postfix550(Sender));

        var recipient = await InboundHarness.WaitForRecipientAsync(shop.Client, dsnId, "bounced", Wait);
        Assert.True(recipient.GetProperty("async").GetBoolean());
        await SettledWithNotificationsAsync(scene, 2, 1);
    }

    /// <summary>The return path a copy of message <paramref name="id"/> to its one recipient would carry under <c>bounces.shop.test</c>.</summary>
    private static async Task<string> ReturnPathOfAsync(InboundHarness inbound, string id)
    {
        var services = inbound.H.App.Services;
        await using DbConnection connection = await services.GetRequiredService<SqlDialect>().OpenAsync(CancellationToken.None);
        var recipientId = await connection.ExecuteScalarAsync<long>("SELECT id FROM recipients WHERE message_id = @id", new { id });
        var codec = await services.GetRequiredService<VerpKeys>().CodecAsync(CancellationToken.None);
        return codec.ReturnPath(new ReturnPathToken(new MessageId(Guid.Parse(id)), recipientId), "bounces.shop.test");
    }
}

public sealed class SqliteLateBounceTests : LateBounceTests
{
    protected override Task<IReadOnlyDictionary<string, string?>> StorageAsync() => InboundHarness.SqliteStorageAsync();
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresLateBounceTests(PostgresServer server) : LateBounceTests
{
    protected override Task<IReadOnlyDictionary<string, string?>> StorageAsync() => InboundHarness.PostgresStorageAsync(server);
}
