using System.Net;
using System.Text;
using System.Text.Json;
using EmailApi.Feedback;
using EmailApi.Tests.Accounts;
using EmailApi.Tests.Delivery;
using EmailApi.Tests.Domains;
using MailKit.Net.Smtp;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace EmailApi.Tests.Feedback;

/// <summary>
/// The whole loop in one host: mail leaves with a VERP return path, a report comes back to the
/// inbound listener over SMTP, and the account's suppression list shows the result.
/// </summary>
public sealed class InboundTests : IAsyncDisposable
{
    private readonly DeliveryHarness _h = new(new()
    {
        ["Roles"] = "api,smtp,sender,mx",
        ["Inbound:Port"] = "0",
        ["Inbound:PollInterval"] = "00:00:00.100",
        ["Inbound:SoftBouncesToSuppress"] = "2",
        ["Delivery:PublicAddresses:0"] = "127.0.0.1",
        ["Inbound:HostName"] = "mx.relay.test",
        ["Http:PublicBaseUrl"] = "https://mail.relay.test/",
        ["Domains:MinVerifyInterval"] = "00:00:00",
    });

    public InboundTests() => _h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");

    public ValueTask DisposeAsync() => _h.DisposeAsync();

    private int InboundPort => _h.App.Services.GetRequiredService<InboundListener>().EndPoint!.Port;

    /// <summary>A shop with a verified domain sends to <paramref name="to"/>; returns its client and the return path the MX saw.</summary>
    private async Task<(HttpClient Shop, string ReturnPath, string Id)> SendFromVerifiedDomainAsync(string to)
    {
        var mx = _h.Server("127.0.0.2");
        var shop = await new AdminApi(_h.App).CreateAccountAsync("shop");
        var domain = await DomainsApi.CreateAsync(shop.Client, "shop.test");
        DomainsApi.Publish(_h.Dns, domain);
        await DomainsApi.VerifyAsync(shop.Client, domain.GetProperty("id").GetString()!);
        var sent = await shop.SendAsync(new { from = "news@shop.test", to, subject = "Deals", text = "x" });
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        var received = await mx.WaitForMessageAsync(TimeSpan.FromSeconds(30));
        Assert.StartsWith("b+", received.From);
        return (shop.Client, received.From, (await TestApp.ReadJsonAsync(sent)).GetProperty("id").GetString()!);
    }

    private async Task SendReportAsync(string rcpt, MimeMessage report)
    {
        using var client = new SmtpClient { Timeout = 15_000 };
        await client.ConnectAsync("127.0.0.1", InboundPort, MailKit.Security.SecureSocketOptions.None);
        await client.SendAsync(report, new MailboxAddress("", "postmaster@relay.example.net"), [MailboxAddress.Parse(rcpt)]);
        await client.DisconnectAsync(true);
    }

    private static async Task<JsonElement?> WaitForSuppressionAsync(HttpClient shop, string address, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            var page = await TestApp.ReadJsonAsync(await shop.GetAsync("/v1/suppressions"));
            foreach (var item in page.GetProperty("items").EnumerateArray())
                if (item.GetProperty("email").GetString() == address) return item;
            await Task.Delay(100);
        }
        return null;
    }

    private async Task<IReadOnlyList<InboundReportView>> WaitForProcessedAsync(int count, TimeSpan timeout)
    {
        var store = _h.App.Services.GetRequiredService<IFeedbackStore>();
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            var all = await store.ListAsync(null, null, null, null, 100, CancellationToken.None);
            if (all.Count(r => r.State == "processed") >= count || DateTime.UtcNow > until) return all;
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task PostfixDsnToTheReturnPath_HardBounce_SuppressesTheRecipient()
    {
        var (shop, returnPath, id) = await SendFromVerifiedDomainAsync("gone@dest.test");

        await SendReportAsync(returnPath, ReportSamples.Load(ReportSamples.Postfix.Replace("nobody@example.org", "gone@dest.test")));

        var suppression = await WaitForSuppressionAsync(shop, "gone@dest.test", TimeSpan.FromSeconds(30));
        Assert.NotNull(suppression);
        Assert.Equal("bounce", suppression.Value.GetProperty("reason").GetString());
        Assert.Equal("feedback", suppression.Value.GetProperty("source").GetString());

        // The admin sees the report and what it changed (recorded just after the suppression); the shop's own key may not look.
        await WaitForProcessedAsync(1, TimeSpan.FromSeconds(30));
        var page = await TestApp.ReadJsonAsync(await _h.Client.GetAsync("/v1/inbound?classification=dsn"));
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
    }

    [Fact]
    public async Task MailedUnsubscribe_ToTheListUnsubscribeMailto_SuppressesLikeTheOneClickPost()
    {
        var mx = _h.Server("127.0.0.2");
        var shop = await new AdminApi(_h.App).CreateAccountAsync("shop");
        var domain = await DomainsApi.CreateAsync(shop.Client, "shop.test");
        DomainsApi.Publish(_h.Dns, domain);
        await DomainsApi.VerifyAsync(shop.Client, domain.GetProperty("id").GetString()!);
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
        await SendReportAsync(mailto, request);

        var suppression = await WaitForSuppressionAsync(shop.Client, "reader@dest.test", TimeSpan.FromSeconds(30));
        Assert.NotNull(suppression);
        Assert.Equal("unsubscribe", suppression.Value.GetProperty("source").GetString());
        var report = Assert.Single(await WaitForProcessedAsync(1, TimeSpan.FromSeconds(30)));
        Assert.Equal("suppressed", report.Effect);
    }

    [Fact]
    public async Task ArfComplaintToTheReturnPath_SuppressesTheRecipientAsComplaint()
    {
        var (shop, returnPath, _) = await SendFromVerifiedDomainAsync("angry@dest.test");

        await SendReportAsync(returnPath, ReportSamples.Arf());

        var suppression = await WaitForSuppressionAsync(shop, "angry@dest.test", TimeSpan.FromSeconds(30));
        Assert.NotNull(suppression);
        Assert.Equal("complaint", suppression.Value.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task SoftBounce_SuppressesOnlyOnceTheConfiguredNumberArrives()
    {
        var (shop, returnPath, _) = await SendFromVerifiedDomainAsync("full@dest.test");
        var full = ReportSamples.Exchange.Replace("full@contoso.com", "full@dest.test");   // 5.2.2 mailbox full: soft

        await SendReportAsync(returnPath, ReportSamples.Load(full));
        var first = Assert.Single(await WaitForProcessedAsync(1, TimeSpan.FromSeconds(30)));
        Assert.Equal("soft-bounce", first.Effect);
        Assert.Null(await WaitForSuppressionAsync(shop, "full@dest.test", TimeSpan.FromSeconds(0.5)));

        await SendReportAsync(returnPath, ReportSamples.Load(full));
        var suppression = await WaitForSuppressionAsync(shop, "full@dest.test", TimeSpan.FromSeconds(30));
        Assert.NotNull(suppression);
        Assert.Equal("soft-bounces", suppression.Value.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task ForgedToken_AcceptedButChangesNothing_KeptForInspection()
    {
        var (shop, returnPath, id) = await SendFromVerifiedDomainAsync("kept@dest.test");
        // One character of the recipient id changed, as someone aiming a report at another recipient would.
        var chars = returnPath.ToCharArray();
        chars[2 + 30] = chars[2 + 30] == 'a' ? 'b' : 'a';
        var forged = new string(chars);

        await SendReportAsync(forged, ReportSamples.Load(ReportSamples.Postfix.Replace("nobody@example.org", "kept@dest.test")));

        var report = Assert.Single(await WaitForProcessedAsync(1, TimeSpan.FromSeconds(30)));
        Assert.Equal("forged", report.TokenCheck);
        Assert.Equal("dsn", report.Classification);
        Assert.Equal("none", report.Effect);
        Assert.Null(await WaitForSuppressionAsync(shop, "kept@dest.test", TimeSpan.FromSeconds(1)));
        var message = await TestApp.ReadJsonAsync(await shop.GetAsync($"/v1/messages/{id}"));
        Assert.Empty(message.GetProperty("inboundReports").EnumerateArray());   // a forged report never shows on a message
    }

    [Fact]
    public async Task RcptToAnyOtherDomain_Refused550_5_7_1_EveryTime()
    {
        using var client = new SmtpClient { Timeout = 15_000 };
        await client.ConnectAsync("127.0.0.1", InboundPort, MailKit.Security.SecureSocketOptions.None);
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
        Assert.Empty(await _h.App.Services.GetRequiredService<IFeedbackStore>().ListAsync(null, null, null, null, 10, CancellationToken.None));
    }

    [Fact]
    public async Task TenMegabyteReport_Refused552()
    {
        await SendFromVerifiedDomainAsync("big@dest.test");
        var rcpt = "b+whatever@bounces.shop.test";
        var message = new MimeMessage { Subject = "huge", Body = new TextPart("plain") { Text = new string('x', 10 * 1024 * 1024) } };
        message.From.Add(MailboxAddress.Parse("postmaster@relay.example.net"));

        using var client = new SmtpClient { Timeout = 30_000 };
        await client.ConnectAsync("127.0.0.1", InboundPort, MailKit.Security.SecureSocketOptions.None);
        var ex = await Assert.ThrowsAsync<SmtpCommandException>(() => client.SendAsync(message, MailboxAddress.Parse("postmaster@relay.example.net"), [MailboxAddress.Parse(rcpt)]));

        Assert.Equal(SmtpStatusCode.ExceededStorageAllocation, ex.StatusCode);   // 552
    }
}
