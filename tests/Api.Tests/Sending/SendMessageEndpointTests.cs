using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace EmailApi.Tests.Sending;

public sealed class SendMessageEndpointTests : IDisposable
{
    private readonly TestApp _app = new();

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task Send_ValidMessage_Returns202WithLocationAndQueuedRecipients()
    {
        var client = _app.Authorized();
        var response = await client.PostAsJsonAsync("/v1/send", new
        {
            from = "Sender <sender@example.com>",
            to = new[] { "a@example.org", "B <b@example.org>" },
            cc = "c@example.net",
            bcc = new[] { new { email = "d@example.net", name = "D" } },
            subject = "Hello",
            text = "Hi there",
        });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await TestApp.ReadJsonAsync(response);
        var id = body.GetProperty("id").GetString();
        Assert.Equal($"/v1/messages/{id}", response.Headers.Location?.ToString());
        Assert.Equal("queued", body.GetProperty("status").GetString());
        Assert.Equal(["a@example.org", "b@example.org", "c@example.net", "d@example.net"],
            body.GetProperty("recipients").EnumerateArray().Select(r => r.GetProperty("email").GetString()));
    }

    // A declared Content-Length sizes the read buffer; without one (chunked) the body is read as it comes.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Send_BodyWithOrWithoutDeclaredLength_IsReadWhole(bool declared)
    {
        var text = new string('x', 70_000);
        var json = JsonSerializer.Serialize(new { from = "s@example.com", to = "r@example.org", subject = "whole", text });
        HttpContent content = declared
            ? new StringContent(json, Encoding.UTF8, "application/json")
            : new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(json)));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        if (!declared) content.Headers.ContentLength = null;

        var response = await _app.Authorized().PostAsync("/v1/send", content);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var message = await TestApp.ReadJsonAsync(await _app.Authorized().GetAsync(response.Headers.Location));
        Assert.Equal("whole", message.GetProperty("subject").GetString());
        Assert.True(message.GetProperty("size").GetInt64() > 70_000);
    }

    [Fact]
    public async Task Send_ThenGet_ShowsMessageWithQueuedEvents()
    {
        var client = _app.Authorized();
        var sent = await client.PostAsJsonAsync("/v1/send", new { from = "s@example.com", to = "r@example.org", subject = "S", html = "<p>x</p>", tags = new[] { "welcome" } });
        var location = sent.Headers.Location!;

        var response = await client.GetAsync(location);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var message = await TestApp.ReadJsonAsync(response);
        Assert.Equal("api", message.GetProperty("source").GetString());
        Assert.Equal("S", message.GetProperty("subject").GetString());
        Assert.Equal("queued", message.GetProperty("status").GetString());
        Assert.Equal("welcome", message.GetProperty("tags")[0].GetString());
        var recipient = message.GetProperty("recipients")[0];
        Assert.Equal("r@example.org", recipient.GetProperty("email").GetString());
        Assert.Equal("queued", recipient.GetProperty("status").GetString());
        Assert.Equal("queued", message.GetProperty("events")[0].GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("""{"from":"bad","to":"r@example.org","text":"x"}""", "from")]
    [InlineData("""{"from":"s@example.com","text":"x"}""", "to")]
    [InlineData("""{"from":"s@example.com","to":"r@example.org"}""", "text")]
    [InlineData("""{"from":"s@example.com","to":"r@example.org","text":"x","subject":"a\r\nBcc: evil@example.com"}""", "subject")]
    [InlineData("""{"from":"s@example.com","to":"r@example.org","text":"x","headers":{"Message-ID":"<x@y>"}}""", "headers")]
    [InlineData("""{"from":"s@example.com","to":"r@example.org","text":"x","headers":{"X-Ok":"a\nb"}}""", "headers")]
    [InlineData("""{"from":"s@example.com","to":"r@example.org","text":"x","attachments":[{"filename":"a.txt","content":"!!notbase64"}]}""", "attachments[0].content")]
    [InlineData("""{"from":"s@example.com","to":"r@example.org","text":"x","attachments":[{"content":"aGk="}]}""", "attachments[0].filename")]
    [InlineData("""{"from":"s@example.com","to":5,"text":"x"}""", "to")]
    [InlineData("""{"from":"s@example.com","to":"r@example.org","text":"x","htlm":"typo"}""", "htlm")]
    [InlineData("""{"from":"s@example.com","to":"r@example.org","text":"x",""", "$")]
    [InlineData("""[1,2,3]""", "$")]
    public async Task Send_InvalidRequest_Returns400NamingTheField(string json, string field)
    {
        var response = await _app.Authorized().PostAsync("/v1/send", new StringContent(json, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await TestApp.ReadJsonAsync(response);
        var errors = problem.GetProperty("errors").EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Contains(errors, e => e.StartsWith(field, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Send_TooManyRecipients_Returns400()
    {
        var to = Enumerable.Range(0, 51).Select(i => $"r{i}@example.org").ToArray();
        var response = await _app.Authorized().PostAsJsonAsync("/v1/send", new { from = "s@example.com", to, text = "x" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("50", (await TestApp.ReadJsonAsync(response)).GetProperty("errors").GetProperty("to")[0].GetString());
    }

    [Fact]
    public async Task Send_IdnAddresses_Accepted()
    {
        var response = await _app.Authorized().PostAsJsonAsync("/v1/send", new { from = "s@bücher.example", to = "jörg@münchen.example", text = "x" });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task Send_BinaryJunk_Returns4xxProblemNot500()
    {
        var junk = new ByteArrayContent([0x00, 0xff, 0xfe, 0x7b, 0x22, 0x00]);
        junk.Headers.ContentType = new("application/json");
        var response = await _app.Authorized().PostAsync("/v1/send", junk);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Send_NotJson_Returns415()
    {
        var response = await _app.Authorized().PostAsync("/v1/send", new StringContent("from=a", Encoding.UTF8, "application/x-www-form-urlencoded"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("ea_wrong_key")]
    [InlineData("")]
    public async Task Send_WithoutValidKey_Returns401Problem(string? key)
    {
        var client = _app.CreateClient();
        if (key is not null) client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", $"Bearer {key}");

        var response = await client.PostAsJsonAsync("/v1/send", new { from = "s@example.com", to = "r@example.org", text = "x" });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Send_MessageOverSizeLimit_Returns413AndStoresNothing()
    {
        using var small = new TestApp(new() { ["Sending:MaxMessageBytes"] = "20000" });
        var content = Convert.ToBase64String(new byte[30_000]);
        var response = await small.Authorized().PostAsJsonAsync("/v1/send", new
        {
            from = "s@example.com", to = "r@example.org", text = "x",
            attachments = new[] { new { filename = "big.bin", content } },
        });

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task GetMessage_OfAnotherAccount_Returns404()
    {
        var sent = await _app.Authorized().PostAsJsonAsync("/v1/send", new { from = "s@example.com", to = "r@example.org", text = "x" });
        var otherKey = await CreateKeyAsync("other");

        var response = await _app.Authorized(otherKey).GetAsync(sent.Headers.Location);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _app.Authorized().GetAsync(sent.Headers.Location)).StatusCode);
    }

    [Fact]
    public async Task GetMessage_UnknownOrMalformedId_Returns404()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await _app.Authorized().GetAsync($"/v1/messages/{Guid.NewGuid()}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _app.Authorized().GetAsync("/v1/messages/not-a-guid")).StatusCode);
    }

    private async Task<string> CreateKeyAsync(string account)
    {
        var output = new StringWriter();
        var accounts = (EmailApi.Accounts.IAccountStore)_app.Services.GetService(typeof(EmailApi.Accounts.IAccountStore))!;
        Assert.Equal(0, await EmailApi.Accounts.KeysCommand.RunAsync(["keys", "create", "--account", account], accounts, output, CancellationToken.None));
        return output.ToString().Trim().Split('\n')[^1].Trim();
    }
}
