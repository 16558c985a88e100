using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace EmailApi.Tests.Compat;

/// <summary>
/// The account's rules hold through every hosted-API door as through <c>POST /v1/send</c>: a rate
/// refuses the second message with 429 and <c>Retry-After</c>, and a sender outside the account's
/// domains is refused, each in the provider's words.
/// </summary>
public sealed class CompatRulesTests
{
    public static TheoryData<string> Providers => new() { "sendgrid", "postmark", "mailgun", "resend" };

    private static HttpRequestMessage Send(string provider, string key, string from, string to) => provider switch
    {
        "sendgrid" => Json("/v3/mail/send", new { personalizations = new[] { new { to = new[] { new { email = to } } } }, from = new { email = from }, subject = "s",
            content = new[] { new { type = "text/plain", value = "x" } } }, r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key)),
        "postmark" => Json("/email", new { From = from, To = to, Subject = "s", TextBody = "x" }, r => r.Headers.Add("X-Postmark-Server-Token", key)),
        "resend" => Json("/emails", new { from, to, subject = "s", text = "x" }, r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key)),
        _ => new HttpRequestMessage(HttpMethod.Post, "/v3/app.test/messages")
        {
            Content = new FormUrlEncodedContent([new("from", from), new("to", to), new("subject", "s"), new("text", "x")]),
            Headers = { Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"api:{key}"))) },
        },
    };

    private static HttpRequestMessage Json(string path, object body, Action<HttpRequestMessage> auth)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        auth(request);
        return request;
    }

    private static async Task<string> KeyOfNewAccountAsync(TestApp app, object account)
    {
        var admin = app.Authorized();
        var created = await TestApp.ReadJsonAsync(await admin.PostAsJsonAsync("/v1/accounts", account));
        var key = await TestApp.ReadJsonAsync(await admin.PostAsJsonAsync($"/v1/accounts/{created.GetProperty("id").GetString()}/keys",
            new { name = "compat", scopes = new[] { "send", "read" } }));
        return key.GetProperty("key").GetString()!;
    }

    /// <summary>The provider's error as one line: the status, and the provider's own code or name.</summary>
    private static async Task<string> ErrorOf(string provider, HttpResponseMessage response)
    {
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return provider switch
        {
            "sendgrid" => $"{(int)response.StatusCode} errors:{json.GetProperty("errors").GetArrayLength()}",
            "postmark" => $"{(int)response.StatusCode} ErrorCode:{json.GetProperty("ErrorCode").GetInt32()}",
            "resend" => $"{(int)response.StatusCode} {json.GetProperty("name").GetString()}",
            _ => $"{(int)response.StatusCode} message:{json.GetProperty("message").GetString()!.Length > 0}",
        };
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task SecondMessage_OverThePerMinuteRate_Is429WithRetryAfter_InTheProvidersShape(string provider)
    {
        using var app = new TestApp(new() { ["Domains:RequireVerified"] = "false" });
        var key = await KeyOfNewAccountAsync(app, new { name = "limited", perMinute = 1, senderDomains = new[] { "app.test" } });
        var client = app.CreateClient();

        using var first = await client.SendAsync(Send(provider, key, "shop@app.test", "ana@ok.test"));
        using var second = await client.SendAsync(Send(provider, key, "shop@app.test", "bo@ok.test"));

        Assert.True(first.IsSuccessStatusCode, await first.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.NotNull(second.Headers.RetryAfter);
        Assert.Equal(provider switch
        {
            "sendgrid" => "429 errors:1",
            "postmark" => "429 ErrorCode:429",
            "resend" => "429 rate_limit_exceeded",
            _ => "429 message:True",
        }, await ErrorOf(provider, second));
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Sender_OutsideTheAccountsDomains_IsRefused_InTheProvidersShape(string provider)
    {
        using var app = new TestApp(new() { ["Domains:RequireVerified"] = "false" });
        var key = await KeyOfNewAccountAsync(app, new { name = "shop", senderDomains = new[] { "app.test" } });

        using var response = await app.CreateClient().SendAsync(Send(provider, key, "ceo@elsewhere.test", "ana@ok.test"));

        Assert.Equal(provider switch
        {
            "sendgrid" => "403 errors:1",
            "postmark" => "422 ErrorCode:400",
            "resend" => "403 validation_error",
            _ => "403 message:True",
        }, await ErrorOf(provider, response));
        var log = await TestApp.ReadJsonAsync(await app.Authorized(key).GetAsync("/v1/messages"));
        Assert.Empty(log.GetProperty("items").EnumerateArray());
    }
}
