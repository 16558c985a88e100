using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using EmailApi.Tests.Accounts;
using EmailApi.Tests.Delivery;
using MimeKit;

namespace EmailApi.Tests.Sending;

public sealed class BatchAndRawTests : IDisposable
{
    private readonly TestApp _app = new();
    private readonly AdminApi _admin;

    public BatchAndRawTests() => _admin = new AdminApi(_app);

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task Batch_MixedValidAndInvalid_AnswersPerItemAndStoresTheValidOnes()
    {
        var account = await _admin.CreateAccountAsync("shop", new { monthlyQuota = 3, senderDomains = new[] { "example.com" } });

        var response = await account.Client.PostAsJsonAsync("/v1/send/batch", new
        {
            messages = new object[]
            {
                new { from = "a@example.com", to = "r1@example.org", text = "one" },
                new { from = "not an address", to = "r2@example.org", text = "two" },
                new { from = "a@example.com", to = new[] { "r3@example.org", "r4@example.org" }, text = "three" },
                new { from = "a@other.example", to = "r5@example.org", text = "four" },
                new { from = "a@example.com", to = "r6@example.org", text = "five" },
                new { from = "a@example.com", to = "r7@example.org", text = "six", htlm = "typo" },
            },
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await TestApp.ReadJsonAsync(response);
        var results = body.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(["accepted", "rejected", "accepted", "rejected", "rejected", "rejected"], results.Select(r => r.GetProperty("status").GetString()));
        Assert.Equal(2, body.GetProperty("accepted").GetInt32());
        Assert.True(results[1].GetProperty("problem").GetProperty("errors").TryGetProperty("from", out _));
        Assert.Equal(403, results[3].GetProperty("problem").GetProperty("status").GetInt32());
        Assert.Equal(429, results[4].GetProperty("problem").GetProperty("status").GetInt32());
        Assert.Equal("monthly_quota", results[4].GetProperty("problem").GetProperty("limit").GetString());
        Assert.True(results[5].GetProperty("problem").GetProperty("errors").TryGetProperty("htlm", out _));
        var accepted = results[2].GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.OK, (await account.Client.GetAsync($"/v1/messages/{accepted}")).StatusCode);
        var log = await TestApp.ReadJsonAsync(await account.Client.GetAsync("/v1/messages"));
        Assert.Equal(2, log.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Batch_WithIdempotencyKey_ReplaysWholeAnswer()
    {
        var client = _app.Authorized();
        var batch = new { messages = new[] { new { from = "a@example.com", to = "r@example.org", text = "x" }, new { from = "a@example.com", to = "s@example.org", text = "y" } } };
        HttpRequestMessage Post() => new(HttpMethod.Post, "/v1/send/batch") { Content = JsonContent.Create(batch), Headers = { { "Idempotency-Key", "batch-1" } } };

        var first = await client.SendAsync(Post());
        var again = await client.SendAsync(Post());

        Assert.Equal(await first.Content.ReadAsStringAsync(), await again.Content.ReadAsStringAsync());
        Assert.Equal(2, (await TestApp.ReadJsonAsync(await client.GetAsync("/v1/messages"))).GetProperty("items").GetArrayLength());
    }

    [Theory]
    [InlineData("""{"messages":[]}""")]
    [InlineData("""{"items":[{}]}""")]
    [InlineData("""[1]""")]
    public async Task Batch_BadEnvelope_Returns400(string json)
    {
        var response = await _app.Authorized().PostAsync("/v1/send/batch", new StringContent(json, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Batch_Over500_Returns400()
    {
        var messages = Enumerable.Range(0, 501).Select(i => new { from = "a@example.com", to = $"r{i}@example.org", text = "x" }).ToArray();

        var response = await _app.Authorized().PostAsJsonAsync("/v1/send/batch", new { messages });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Raw_WithoutEnvelope_TakesItFromHeaders_StripsBcc_AddsMessageId()
    {
        var mime = "From: App <app@example.com>\nTo: a@example.org\nBcc: hidden@example.org\nSubject: Raw one\nMIME-Version: 1.0\nContent-Type: text/plain\n\nBuilt by the app.\n";
        var content = new ByteArrayContent(Encoding.ASCII.GetBytes(mime));
        content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");

        var response = await _app.Authorized().PostAsync("/v1/send/raw?tag=raw", content);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var sent = await TestApp.ReadJsonAsync(response);
        Assert.Equal(["a@example.org", "hidden@example.org"], sent.GetProperty("recipients").EnumerateArray().Select(r => r.GetProperty("email").GetString()));
        var view = await TestApp.ReadJsonAsync(await _app.Authorized().GetAsync(response.Headers.Location));
        Assert.Equal("Raw one", view.GetProperty("subject").GetString());
        Assert.Equal("raw", view.GetProperty("tags")[0].GetString());
    }

    [Fact]
    public async Task Raw_IsRelayedUnchanged_WithQueryEnvelope()
    {
        await using var h = new DeliveryHarness();
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        var mx = h.Server("127.0.0.2");
        var mime = "From: App <app@example.com>\r\nTo: list@example.org\r\nSubject: Unchanged\r\nMessage-ID: <own-id@example.com>\r\nDate: Tue, 1 Jan 2030 00:00:00 +0000\r\n" +
                   "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nX-App: 42\r\n\r\nExactly these bytes.\r\n";
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(mime));
        content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");

        var response = await h.Client.PostAsync("/v1/send/raw?from=bounces@example.com&to=one@dest.test&to=two@dest.test", content);
        var received = await mx.WaitForMessageAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("bounces@example.com", received.From);
        Assert.Equal(["one@dest.test", "two@dest.test"], received.Recipients);
        Assert.EndsWith(mime, Encoding.UTF8.GetString(received.Data).Replace("\r\n.\r\n", ""));
        Assert.Equal("own-id@example.com", MimeMessage.Load(new MemoryStream(received.Data)).MessageId);
    }

    [Theory]
    [InlineData("text/plain", "From: a@example.com\r\nTo: b@example.org\r\n\r\nx", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("message/rfc822", "Subject: no from or to\r\n\r\nx", HttpStatusCode.BadRequest)]
    [InlineData("message/rfc822", "From: a@example.com\r\nTo: not-an-address\r\n\r\nx", HttpStatusCode.BadRequest)]
    public async Task Raw_Invalid_IsRefused(string type, string mime, HttpStatusCode expected)
    {
        var content = new StringContent(mime, Encoding.ASCII);
        content.Headers.ContentType = new MediaTypeHeaderValue(type);

        var response = await _app.Authorized().PostAsync("/v1/send/raw", content);

        Assert.Equal(expected, response.StatusCode);
    }
}
