using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using EmailApi.Tests.Accounts;
using EmailApi.Tests.Delivery;
using EmailApi.Tests.Domains;
using EmailApi.Tests.Events;
using MimeKit;
using MimeKit.Cryptography;

namespace EmailApi.Tests.Unsubscribe;

/// <summary>
/// One-click unsubscribe (RFC 8058) as the recipient and their mailbox provider see it: the header
/// fields in the delivered message, signed; the page a GET shows; the POST that suppresses; the
/// event at the account's webhook.
/// </summary>
public sealed partial class UnsubscribeTests : IAsyncDisposable
{
    private readonly DeliveryHarness _h = new(new()
    {
        ["Http:PublicBaseUrl"] = "https://mail.relay.test/",
        ["Inbound:HostName"] = "mx.relay.test",
        ["Delivery:PublicAddresses:0"] = "127.0.0.1",
        ["Domains:MinVerifyInterval"] = "00:00:00",
        ["Webhooks:PollInterval"] = "00:00:00.100",
        ["Webhooks:AllowPrivateNetworks"] = "true",   // the receiver is on loopback
    });

    public UnsubscribeTests() => _h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");

    public ValueTask DisposeAsync() => _h.DisposeAsync();

    [GeneratedRegex(@"^<https://mail\.relay\.test/u/(?<token>[a-z2-7]{52})>, <mailto:unsub\+(?<mailto>[a-z2-7]{52})@mx\.relay\.test>$")]
    private static partial Regex ListUnsubscribe();

    [Fact]
    public async Task Send_WithUnsubscribe_HeadersPresentAndCoveredByDkim_TamperedLinkFailsVerification()
    {
        var mx = _h.Server("127.0.0.2");
        var shop = await new AdminApi(_h.App).CreateAccountAsync("shop");
        var domain = await DomainsApi.CreateAsync(shop.Client, "shop.test");
        DomainsApi.Publish(_h.Dns, domain);
        Assert.Equal("verified", (await DomainsApi.VerifyAsync(shop.Client, domain.GetProperty("id").GetString()!)).GetProperty("status").GetString());

        var sent = await shop.SendAsync(new { from = "news@shop.test", to = "Ann@dest.test", subject = "News", text = "x", unsubscribe = true });
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        var received = await mx.WaitForMessageAsync(TimeSpan.FromSeconds(30));

        var message = MimeMessage.Load(new MemoryStream(received.Data));
        var link = ListUnsubscribe().Match(message.Headers["List-Unsubscribe"] ?? "");
        Assert.True(link.Success, message.Headers["List-Unsubscribe"]);
        Assert.Equal(link.Groups["token"].Value, link.Groups["mailto"].Value);
        Assert.Equal("List-Unsubscribe=One-Click", message.Headers["List-Unsubscribe-Post"]);
        var signature = message.Headers[message.Headers.IndexOf(HeaderId.DkimSignature)];
        var signed = Regex.Match(signature.Value, @"h=([^;]+)").Groups[1].Value.Replace(" ", "").Replace("\t", "").Replace("\r\n", "").Split(':');
        Assert.Contains("list-unsubscribe", signed, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("list-unsubscribe-post", signed, StringComparer.OrdinalIgnoreCase);
        var verifier = new DkimVerifier(new DnsKeyLocator(_h.Dns.Endpoint));
        Assert.True(await verifier.VerifyAsync(message, signature));

        // Someone on the way pointing the link elsewhere breaks the signature.
        var token = link.Groups["token"].Value;
        var tampered = MimeMessage.Load(new MemoryStream(Encoding.ASCII.GetBytes(received.Text.Replace($"/u/{token}", "/u/" + Altered(token)))));
        Assert.False(await verifier.VerifyAsync(tampered, tampered.Headers[tampered.Headers.IndexOf(HeaderId.DkimSignature)]));
    }

    [Fact]
    public async Task Get_ShowsMaskedAddressAndButton_DoesNotUnsubscribe_Post_Suppresses_AndWebhookGetsTheEvent()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var subscribed = await _h.Client.PostAsJsonAsync("/v1/webhooks", new { url = receiver.Url, events = new[] { "unsubscribed" } });
        Assert.Equal(HttpStatusCode.Created, subscribed.StatusCode);
        var mx = _h.Server("127.0.0.2");
        var first = await _h.SendAsync(new { from = "news@example.com", to = "ann@dest.test", subject = "News", text = "x", unsubscribe = true });
        var path = new Uri(LinkOf(await mx.WaitForMessageAsync(TimeSpan.FromSeconds(30)))).AbsolutePath;
        using var browser = _h.App.CreateClient();   // no API key

        var page = await browser.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("a***@dest.test", html);
        Assert.DoesNotContain("ann@dest.test", html);
        Assert.Contains("<form method=\"post\"><input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">", html);
        await _h.WaitForStatusAsync(await _h.SendAsync(new { from = "news@example.com", to = "ann@dest.test", subject = "Still", text = "x" }), "delivered");

        var post = await browser.PostAsync(path, new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]));
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        Assert.Contains("a***@dest.test", await post.Content.ReadAsStringAsync());
        var again = await browser.PostAsync(path, new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);

        var next = await _h.SendAsync(new { from = "news@example.com", to = "ann@dest.test", subject = "After", text = "x" });
        Assert.Equal("suppressed", DeliveryHarness.Recipient(await _h.WaitForStatusAsync(next, "suppressed"), "ann@dest.test").GetProperty("status").GetString());
        var list = await TestApp.ReadJsonAsync(await _h.Client.GetAsync("/v1/suppressions"));
        var entry = Assert.Single(list.GetProperty("items").EnumerateArray());
        Assert.Equal("ann@dest.test", entry.GetProperty("email").GetString());
        Assert.Equal("unsubscribed", entry.GetProperty("reason").GetString());
        Assert.Equal("unsubscribe", entry.GetProperty("source").GetString());

        await receiver.WaitForAsync(r => r.Count >= 1, TimeSpan.FromSeconds(20));
        var hook = JsonDocument.Parse(Assert.Single(receiver.Accepted).Body).RootElement;
        Assert.Equal("message.unsubscribed", hook.GetProperty("type").GetString());
        Assert.Equal(first, hook.GetProperty("data").GetProperty("messageId").GetString());
        Assert.Equal("ann@dest.test", hook.GetProperty("data").GetProperty("recipient").GetString());
    }

    [Fact]
    public async Task ForgedOrAlteredToken_404_WrongBody_400_NothingSuppressed()
    {
        var mx = _h.Server("127.0.0.2");
        await _h.SendAsync(new { from = "news@example.com", to = "ann@dest.test", subject = "News", text = "x", unsubscribe = true });
        var token = new Uri(LinkOf(await mx.WaitForMessageAsync(TimeSpan.FromSeconds(30)))).AbsolutePath["/u/".Length..];
        using var browser = _h.App.CreateClient();
        var oneClick = () => new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]);

        // The message part kept and the MAC changed, the MAC kept and the message changed, a made-up token, and no token's shape at all.
        foreach (var forged in new[] { token[..^2] + Altered(token[^2..]), Altered(token[..2]) + token[2..], new string('a', 52), "abc" })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync($"/u/{forged}")).StatusCode);
            var refused = await browser.PostAsync($"/u/{forged}", oneClick());
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        }
        var wrongBody = await browser.PostAsync($"/u/{token}", new FormUrlEncodedContent([new("List-Unsubscribe", "Yes")]));
        Assert.Equal(HttpStatusCode.BadRequest, wrongBody.StatusCode);
        Assert.Equal("application/problem+json", wrongBody.Content.Headers.ContentType?.MediaType);

        var list = await TestApp.ReadJsonAsync(await _h.Client.GetAsync("/v1/suppressions"));
        Assert.Empty(list.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Send_WithUnsubscribeAndTwoRecipients_Or_OwnListUnsubscribeHeader_400()
    {
        var two = await _h.Client.PostAsJsonAsync("/v1/send", new { from = "news@example.com", to = new[] { "a@dest.test", "b@dest.test" }, text = "x", unsubscribe = true });
        var own = await _h.Client.PostAsJsonAsync("/v1/send", new
        {
            from = "news@example.com", to = "a@dest.test", text = "x", unsubscribe = true,
            headers = new Dictionary<string, string> { ["List-Unsubscribe"] = "<https://elsewhere.test/u>" },
        });

        Assert.Equal(HttpStatusCode.BadRequest, two.StatusCode);
        Assert.Contains("exactly one recipient", (await TestApp.ReadJsonAsync(two)).GetProperty("errors").GetProperty("unsubscribe")[0].GetString());
        Assert.Equal(HttpStatusCode.BadRequest, own.StatusCode);
        Assert.Contains("List-Unsubscribe", (await TestApp.ReadJsonAsync(own)).GetProperty("errors").GetProperty("headers[0]")[0].GetString());
    }

    [Fact]
    public async Task Pages_AreRateLimitedPerClientAddress_429()
    {
        using var browser = _h.App.CreateClient();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 40; i++) statuses.Add((await browser.GetAsync($"/u/{new string('a', 52)}")).StatusCode);

        Assert.Equal(30, statuses.Count(s => s == HttpStatusCode.NotFound));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
    }

    private static string LinkOf(TestKit.ReceivedMessage received)
    {
        var message = MimeMessage.Load(new MemoryStream(received.Data));
        return Regex.Match(message.Headers["List-Unsubscribe"] ?? "", "<(https://[^>]+)>").Groups[1].Value;
    }

    // Each character moved to another of the base32 alphabet.
    private static string Altered(string part) => new(part.Select(c => c == 'a' ? 'b' : 'a').ToArray());
}
