using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EmailApi.Tests.Accounts;

namespace EmailApi.Tests.Sending;

/// <summary>
/// Issue #15, points 2 and 8 on the JSON doors: every string bounded, every null array item named.
/// A field one over its limit gets a 400 naming it, at once, while /health/live keeps answering.
/// </summary>
public sealed class HostileInputTests : IDisposable
{
    // Generous for a loaded 2-core machine; the point is seconds, not the minutes a 4 MB field cost.
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(15);

    private readonly TestApp _app = new();

    public void Dispose() => _app.Dispose();

    public static TheoryData<string, string> NullItems => new()
    {
        { """{"from":"a@example.com","to":[null],"text":"x"}""", "to[0]" },
        { """{"from":"a@example.com","to":["r@example.org",null],"text":"x"}""", "to[1]" },
        { """{"from":"a@example.com","to":"r@example.org","cc":[null],"text":"x"}""", "cc[0]" },
        { """{"from":"a@example.com","to":"r@example.org","bcc":[null],"text":"x"}""", "bcc[0]" },
        { """{"from":"a@example.com","to":"r@example.org","replyTo":[null],"text":"x"}""", "replyTo[0]" },
        { """{"from":"a@example.com","to":"r@example.org","attachments":[null],"text":"x"}""", "attachments[0]" },
        { """{"from":"a@example.com","to":"r@example.org","tags":[null],"text":"x"}""", "tags[0]" },
        { """{"from":"a@example.com","to":"r@example.org","headers":{"X-A":null},"text":"x"}""", "headers[0]" },
    };

    [Theory]
    [MemberData(nameof(NullItems))]
    public async Task Send_NullArrayItem_Is400NamingTheItem(string json, string field)
    {
        var response = await PostJsonAsync("/v1/send", json);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await TestApp.ReadJsonAsync(response)).GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out _), errors.ToString());
    }

    [Theory]
    [MemberData(nameof(NullItems))]
    public async Task Batch_NullArrayItemInAMessage_RejectsThatMessageNamingTheItem(string json, string field)
    {
        var response = await PostJsonAsync("/v1/send/batch", $$"""{"messages":[{{json}}]}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = (await TestApp.ReadJsonAsync(response)).GetProperty("results")[0];
        Assert.Equal("rejected", result.GetProperty("status").GetString());
        Assert.Equal(400, result.GetProperty("problem").GetProperty("status").GetInt32());
        Assert.True(result.GetProperty("problem").GetProperty("errors").TryGetProperty(field, out _), result.ToString());
    }

    [Fact]
    public async Task Batch_NullMessage_IsRejectedWith400()
    {
        var response = await PostJsonAsync("/v1/send/batch", """{"messages":[null,{"from":"a@example.com","to":"r@example.org","text":"x"}]}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var results = (await TestApp.ReadJsonAsync(response)).GetProperty("results");
        Assert.Equal(400, results[0].GetProperty("problem").GetProperty("status").GetInt32());
        Assert.Equal("accepted", results[1].GetProperty("status").GetString());
    }

    /// <summary>Each field set to <c>size</c> characters in an otherwise valid message, and the error key it must be named by.</summary>
    public static TheoryData<string, int> Fields => new()
    {
        { "from.name", 257 }, { "to.name", 257 }, { "cc.name", 257 }, { "bcc.name", 257 }, { "replyTo.name", 257 },
        { "subject", 999 }, { "headers.value", 999 }, { "attachments.filename", 256 }, { "attachments.contentType", 257 },
        { "attachments.contentId", 257 }, { "tags", 129 }, { "metadata.value", 1025 }, { "metadata.key", 129 },
        { "from.name", 4 * 1024 * 1024 }, { "headers.value", 4 * 1024 * 1024 }, { "attachments.filename", 4 * 1024 * 1024 },
    };

    [Theory]
    [MemberData(nameof(Fields))]
    public async Task Send_FieldOverItsLimit_Is400NamingItFastWhileHealthAnswers(string field, int size)
    {
        var (json, expected) = WithField(field, size);
        var client = _app.Authorized();

        var clock = Stopwatch.StartNew();
        var send = client.PostAsync("/v1/send", new StringContent(json.ToJsonString(), Encoding.UTF8, "application/json"));
        var health = await client.GetAsync("/health/live");
        var response = await send;
        clock.Stop();

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await TestApp.ReadJsonAsync(response)).GetProperty("errors");
        Assert.True(errors.TryGetProperty(expected, out _), $"{expected} not in {errors}");
        Assert.True(clock.Elapsed < Budget, $"took {clock.Elapsed}");
    }

    [Theory]
    [MemberData(nameof(Fields))]
    public async Task Batch_FieldOverItsLimit_RejectsTheMessageNamingIt(string field, int size)
    {
        var (json, expected) = WithField(field, size);
        var batch = new JsonObject { ["messages"] = new JsonArray(json) };

        var clock = Stopwatch.StartNew();
        var response = await PostJsonAsync("/v1/send/batch", batch.ToJsonString());
        clock.Stop();

        var result = (await TestApp.ReadJsonAsync(response)).GetProperty("results")[0];
        Assert.Equal(400, result.GetProperty("problem").GetProperty("status").GetInt32());
        Assert.True(result.GetProperty("problem").GetProperty("errors").TryGetProperty(expected, out _), result.ToString());
        Assert.True(clock.Elapsed < Budget, $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Send_TooManyHeaders_Is400NamingHeaders()
    {
        var (json, _) = WithField("subject", 1);
        var headers = new JsonObject();
        for (var i = 0; i < 51; i++) headers[$"X-H{i}"] = "v";
        json["headers"] = headers;

        var response = await PostJsonAsync("/v1/send", json.ToJsonString());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await TestApp.ReadJsonAsync(response)).GetProperty("errors").TryGetProperty("headers", out _));
    }

    [Theory]
    [InlineData("subject", "a\u0001b")]
    [InlineData("subject", "a\u007fb")]
    [InlineData("from.name", "a\rFrom: evil@elsewhere.test")]
    [InlineData("attachments.filename", "a\0b")]
    [InlineData("headers.value", "a\nBcc: x@example.org")]
    [InlineData("tags", "a\0b")]
    [InlineData("metadata.value", "a\0b")]
    [InlineData("text", "a\0b")]
    [InlineData("html", "<p>a\0b</p>")]
    public async Task Send_ControlCharacterInAField_Is400NamingIt(string field, string value)
    {
        var (json, expected) = WithField(field, 1, value);

        var response = await PostJsonAsync("/v1/send", json.ToJsonString());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await TestApp.ReadJsonAsync(response)).GetProperty("errors");
        Assert.True(errors.TryGetProperty(expected, out _), $"{expected} not in {errors}");
    }

    [Fact]
    public async Task Send_EveryFieldAtItsLimit_IsAcceptedFast()
    {
        var json = Valid();
        json["from"] = new JsonObject { ["email"] = "a@example.com", ["name"] = new string('n', 256) };
        json["to"] = new JsonArray(new JsonObject { ["email"] = "r@example.org", ["name"] = new string('é', 256) });
        json["subject"] = new string('s', 998);
        var headers = new JsonObject();
        for (var i = 0; i < 50; i++) headers[$"X-H{i}"] = new string('h', 998);
        json["headers"] = headers;
        json["attachments"] = new JsonArray(new JsonObject
        {
            ["filename"] = new string('f', 251) + ".pdf", ["content"] = "AAAA", ["contentType"] = "application/pdf",
        });

        var clock = Stopwatch.StartNew();
        var response = await PostJsonAsync("/v1/send", json.ToJsonString());
        clock.Stop();

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.True(clock.Elapsed < Budget, $"took {clock.Elapsed}");
    }

    private static JsonObject Valid() => new()
    {
        ["from"] = "a@example.com",
        ["to"] = "r@example.org",
        ["text"] = "body",
    };

    private static (JsonObject Json, string ErrorKey) WithField(string field, int size, string? value = null)
    {
        var text = value ?? new string('x', size);
        var json = Valid();
        var attachment = new JsonObject { ["filename"] = "a.txt", ["content"] = "AAAA" };
        switch (field)
        {
            case "from.name":
                json["from"] = new JsonObject { ["email"] = "a@example.com", ["name"] = text };
                return (json, "from");
            case "to.name" or "cc.name" or "bcc.name" or "replyTo.name":
                var list = field[..field.IndexOf('.')];
                json[list] = new JsonArray(new JsonObject { ["email"] = "r@example.org", ["name"] = text });
                return (json, $"{list}[0]");
            case "subject" or "text" or "html":
                json[field] = text;
                return (json, field);
            case "headers.value":
                json["headers"] = new JsonObject { ["X-Big"] = text };
                return (json, "headers[0]");
            case "attachments.filename":
                attachment["filename"] = text;
                json["attachments"] = new JsonArray(attachment);
                return (json, "attachments[0].filename");
            case "attachments.contentType":
                attachment["contentType"] = "application/" + text[..^12];
                json["attachments"] = new JsonArray(attachment);
                return (json, "attachments[0].contentType");
            case "attachments.contentId":
                attachment["contentId"] = text;
                json["attachments"] = new JsonArray(attachment);
                return (json, "attachments[0].contentId");
            case "tags":
                json["tags"] = new JsonArray(JsonValue.Create(text));
                return (json, "tags[0]");
            case "metadata.value":
                json["metadata"] = new JsonObject { ["k"] = text };
                return (json, "metadata");
            case "metadata.key":
                json["metadata"] = new JsonObject { [text] = "v" };
                return (json, "metadata");
            default:
                throw new ArgumentOutOfRangeException(nameof(field), field, null);
        }
    }

    private Task<HttpResponseMessage> PostJsonAsync(string path, string json) =>
        _app.Authorized().PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
}
