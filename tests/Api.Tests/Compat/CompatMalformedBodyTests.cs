using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace EmailApi.Tests.Compat;

/// <summary>
/// Every hosted-API door answers a malformed request in its provider's own error shape with a 4xx,
/// never a 500 or a problem document the provider's SDK would not read.
/// </summary>
public sealed class CompatMalformedBodyTests : IClassFixture<CompatMalformedBodyTests.App>
{
    public sealed class App : IDisposable
    {
        public TestApp Host { get; } = new();
        public void Dispose() => Host.Dispose();
    }

    private readonly TestApp _app;

    public CompatMalformedBodyTests(App app) => _app = app.Host;

    private static readonly string Deep = new string('[', 200) + new string(']', 200);

    public static TheoryData<string, string, int> SendGrid => new()
    {
        { "application/json", "", 400 },
        { "application/json", "{", 400 },
        { "application/json", "null", 400 },
        { "application/json", "[]", 400 },
        { "application/json", "{}", 400 },
        { "application/json", Deep, 400 },
        { "application/json", """{"personalizations":"x"}""", 400 },
        { "application/json", """{"personalizations":[null],"from":{"email":"a@app.test"},"content":[{"type":"text/plain","value":"x"}]}""", 400 },
        { "application/json", """{"personalizations":[{"to":[{"email":"a@ok.test"}]}],"from":{"email":"a@app.test"},"content":[{"type":"text/plain","value":"x"}],"send_at":1e400}""", 400 },
        { "application/json", """{"personalizations":[{"to":[{"email":"a@ok.test"}]}],"from":{"email":"a@app.test"},"content":[{"type":"text/plain","value":"x"}],"attachments":[{"content":"@@","filename":"a"}]}""", 400 },
        { "application/json", """{"personalizations":[{"to":[{"email":"a@ok.test"}]}],"from":{"email":"a@app.test"},"content":[{"type":"text/calendar","value":"x"}]}""", 400 },
        { "application/json", """{"personalizations":[{"to":[{"email":"a@ok.test"}]}],"from":{"email":"a@app.test"},"content":[]}""", 400 },
        { "application/json", """{"personalizations":[{"to":[{"email":"a@ok.test"}]}],"from":{"email":"a@app.test"},"subject":"a\r\nBcc: x@y","content":[{"type":"text/plain","value":"x"}]}""", 400 },
        { "text/plain", "hello", 415 },
    };

    [Theory]
    [MemberData(nameof(SendGrid))]
    public async Task SendGrid_MalformedBody_GetsSendGridErrors(string contentType, string body, int status)
    {
        using var response = await PostAsync("/v3/mail/send", contentType, body, r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestApp.Key));

        Assert.Equal(status, (int)response.StatusCode);
        var json = await TestApp.ReadJsonAsync(response);
        Assert.NotEmpty(json.GetProperty("errors").EnumerateArray());
        Assert.Equal(JsonValueKind.String, json.GetProperty("errors")[0].GetProperty("message").ValueKind);
    }

    public static TheoryData<string, string, string, int, int> Postmark => new()
    {
        { "/email", "application/json", "", 422, 402 },
        { "/email", "application/json", "{", 422, 402 },
        { "/email", "application/json", Deep, 422, 402 },
        { "/email", "application/json", "null", 422, 300 },
        { "/email", "application/json", "[]", 422, 300 },
        { "/email", "application/json", "{}", 422, 300 },
        { "/email", "application/json", """{"From":"a@app.test","To":5}""", 422, 300 },
        { "/email", "application/json", """{"From":"a@app.test","To":"x@ok.test","TextBody":"x","Headers":[null]}""", 422, 300 },
        { "/email", "application/json", """{"From":"a@app.test, b@app.test","To":"x@ok.test","TextBody":"x"}""", 422, 300 },
        { "/email", "application/json", """{"From":"a@app.test","To":"x@ok.test","TextBody":"x","Attachments":[{"Name":"a","Content":"@@"}]}""", 422, 300 },
        { "/email", "application/json", """{"From":"a@app.test","To":"x@ok.test","TextBody":"x","TrackOpens":true}""", 422, 300 },
        { "/email", "text/plain", "hello", 422, 409 },
        { "/email/batch", "application/json", "{}", 422, 402 },
        { "/email/batch", "application/json", "{", 422, 402 },
        { "/email/batch", "application/json", "[" + string.Join(",", Enumerable.Repeat("{}", 501)) + "]", 422, 300 },
    };

    [Theory]
    [MemberData(nameof(Postmark))]
    public async Task Postmark_MalformedBody_GetsPostmarkErrorCode(string path, string contentType, string body, int status, int errorCode)
    {
        using var response = await PostAsync(path, contentType, body, r => r.Headers.Add("X-Postmark-Server-Token", TestApp.Key));

        Assert.Equal(status, (int)response.StatusCode);
        var json = await TestApp.ReadJsonAsync(response);
        Assert.Equal(errorCode, json.GetProperty("ErrorCode").GetInt32());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("Message").GetString()));
    }

    [Fact]
    public async Task PostmarkBatch_WithAMalformedItem_AnswersItInPlace()
    {
        using var response = await PostAsync("/email/batch", "application/json",
            """[{"From":"a@app.test","To":"x@ok.test","TextBody":"x","Subject":"s"}, 7, {"From":"a@app.test"}]""",
            r => r.Headers.Add("X-Postmark-Server-Token", TestApp.Key));

        Assert.Equal(200, (int)response.StatusCode);
        var results = (await TestApp.ReadJsonAsync(response)).EnumerateArray().Select(r => r.GetProperty("ErrorCode").GetInt32()).ToArray();
        Assert.Equal([0, 300, 300], results);
    }

    public static TheoryData<string, string, string, int> Resend => new()
    {
        { "/emails", "application/json", "", 422 },
        { "/emails", "application/json", "{", 422 },
        { "/emails", "application/json", Deep, 422 },
        { "/emails", "application/json", "null", 422 },
        { "/emails", "application/json", "{}", 422 },
        { "/emails", "application/json", """{"from":"a@app.test","to":"x@ok.test","subject":"s","text":"x","scheduled_at":"in 1 min"}""", 422 },
        { "/emails", "application/json", """{"from":"a@app.test","to":"x@ok.test","subject":"s","text":"x","tags":[{"name":"a b","value":"c"}]}""", 422 },
        { "/emails", "application/json", """{"from":"a@app.test","to":"x@ok.test","subject":"s","text":"x","attachments":[{"path":"https://example.com/a.pdf","filename":"a.pdf"}]}""", 422 },
        { "/emails", "application/json", """{"from":"a@app.test","to":"x@ok.test","subject":"s"}""", 422 },
        { "/emails", "text/plain", "hello", 422 },
        { "/emails/batch", "application/json", "{}", 422 },
        { "/emails/batch", "application/json", "[]", 422 },
        { "/emails/batch", "application/json", "[" + string.Join(",", Enumerable.Repeat("{}", 101)) + "]", 422 },
    };

    [Theory]
    [MemberData(nameof(Resend))]
    public async Task Resend_MalformedBody_GetsResendError(string path, string contentType, string body, int status)
    {
        using var response = await PostAsync(path, contentType, body, r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestApp.Key));

        Assert.Equal(status, (int)response.StatusCode);
        var json = await TestApp.ReadJsonAsync(response);
        Assert.Equal(status, json.GetProperty("statusCode").GetInt32());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("name").GetString()));
        Assert.False(string.IsNullOrEmpty(json.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task Resend_BadIdempotencyKey_GetsInvalidIdempotencyKey()
    {
        using var response = await PostAsync("/emails", "application/json", """{"from":"a@app.test","to":"x@ok.test","subject":"s","text":"x"}""", r =>
        {
            r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestApp.Key);
            r.Headers.TryAddWithoutValidation("Idempotency-Key", new string('k', 300));
        });

        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal("invalid_idempotency_key", (await TestApp.ReadJsonAsync(response)).GetProperty("name").GetString());
    }

    public static TheoryData<string, string, int> Mailgun => new()
    {
        { "application/json", """{"from":"a@app.test"}""", 400 },
        { "application/x-www-form-urlencoded", "", 400 },
        { "application/x-www-form-urlencoded", "from=a%40app.test", 400 },
        { "application/x-www-form-urlencoded", "from=a%40app.test&to=x%40ok.test", 400 },
        { "application/x-www-form-urlencoded", "from=nope&to=x%40ok.test&text=x", 400 },
        { "application/x-www-form-urlencoded", "from=a%40app.test&to=x%40ok.test&text=x&o:deliverytime=tomorrow", 400 },
        { "application/x-www-form-urlencoded", "from=a%40app.test&to=x%40ok.test&text=x&recipient-variables=%7B%7D", 400 },
        { "application/x-www-form-urlencoded", "from=a%40app.test&to=x%40ok.test&text=x&h:Subject=a", 400 },
        { "multipart/form-data; boundary=zzz", "--zzz\r\nContent-Disposition: form-data; name=\"from\"\r\n\r\na@app.test\r\n", 400 },
        { "multipart/form-data", "garbage", 400 },
    };

    [Theory]
    [MemberData(nameof(Mailgun))]
    public async Task Mailgun_MalformedBody_GetsMailgunMessage(string contentType, string body, int status)
    {
        using var response = await PostAsync("/v3/app.test/messages", contentType, body, r => r.Headers.Authorization =
            new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"api:{TestApp.Key}"))));

        Assert.Equal(status, (int)response.StatusCode);
        Assert.False(string.IsNullOrEmpty((await TestApp.ReadJsonAsync(response)).GetProperty("message").GetString()));
    }

    public static TheoryData<string, string, int> MailgunMime => new()
    {
        { "application/x-www-form-urlencoded", "", 400 },
        { "application/x-www-form-urlencoded", "to=x%40ok.test", 400 },
        { "application/x-www-form-urlencoded", "message=From%3A%20a%40app.test%0D%0A%0D%0Ax", 400 },
        { "application/x-www-form-urlencoded", "to=nope&message=x", 400 },
        { "application/x-www-form-urlencoded", "to=x%40ok.test&message=not%20mime%20at%20all%00", 400 },
        { "application/x-www-form-urlencoded", "to=x%40ok.test&message=Subject%3A%20no%20from%0D%0A%0D%0Ax%0D%0A", 400 },
        { "application/x-www-form-urlencoded", "to=x%40ok.test&message=From%3A%20a%40app.test%0D%0A%0D%0Ax&text=y", 400 },
        { "multipart/form-data", "garbage", 400 },
    };

    [Theory]
    [MemberData(nameof(MailgunMime))]
    public async Task MailgunMime_MalformedBody_GetsMailgunMessage(string contentType, string body, int status)
    {
        using var response = await PostAsync("/v3/app.test/messages.mime", contentType, body, r => r.Headers.Authorization =
            new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"api:{TestApp.Key}"))));

        Assert.Equal(status, (int)response.StatusCode);
        Assert.False(string.IsNullOrEmpty((await TestApp.ReadJsonAsync(response)).GetProperty("message").GetString()));
    }

    [Theory]
    [InlineData("Basic", "dXNlcjp4")]          // user:x
    [InlineData("Bearer", TestApp.Key)]        // the key, but not where Mailgun puts it
    public async Task Mailgun_WrongCredentials_GetsPlainForbidden(string scheme, string value)
    {
        using var response = await PostAsync("/v3/app.test/messages", "application/x-www-form-urlencoded", "from=a%40app.test",
            r => r.Headers.Authorization = new AuthenticationHeaderValue(scheme, value));

        Assert.Equal(401, (int)response.StatusCode);
        Assert.Equal("Forbidden", await response.Content.ReadAsStringAsync());
    }

    private async Task<HttpResponseMessage> PostAsync(string path, string contentType, string body, Action<HttpRequestMessage> auth)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        auth(request);
        var response = await _app.CreateClient().SendAsync(request);
        Assert.True((int)response.StatusCode < 500, $"{path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return response;
    }
}
