using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using EmailApi.Hosting;

namespace EmailApi.Tests.Hosting;

/// <summary>
/// The document's examples are what Swagger UI's "Try it out" sends and what readers copy: each must
/// be accepted as it is by a fresh service (the bootstrap key; <c>{id}</c> in the account paths is
/// the caller's own account).
/// </summary>
public sealed class OpenApiExamplesTests
{
    [Fact]
    public async Task EveryRequestBodyExample_IsAnswered2xx_WhenSentToTheLiveApp()
    {
        using var app = new TestApp();
        var client = app.Authorized();
        var document = JsonNode.Parse(await client.GetStringAsync(SwaggerSetup.DocumentPath))!;
        var accountId = (await TestApp.ReadJsonAsync(await client.GetAsync("/v1/account"))).GetProperty("id").GetString()!;

        var failures = new List<string>();
        var sent = 0;
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                if (operation!["requestBody"]?["content"] is not JsonObject content) continue;
                var name = $"{method.ToUpperInvariant()} {path}";
                var url = path.StartsWith("/v1/accounts/{id}", StringComparison.Ordinal) ? path.Replace("{id}", accountId) : path.Replace("{domain}", "example.com");
                if (url.Contains('{')) { failures.Add($"{name}: the test has no value for its path parameters"); continue; }
                foreach (var (contentType, media) in content)
                {
                    if (media!["example"] is not { } example) { failures.Add($"{name} ({contentType}): no example"); continue; }
                    using var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), url) { Content = Body(contentType, example) };
                    // The hosted-API compatible routes take the key where their provider does.
                    request.Headers.Add("X-Postmark-Server-Token", TestApp.Key);
                    if (path.StartsWith("/v3/{domain}", StringComparison.Ordinal))
                        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"api:{TestApp.Key}")));
                    using var response = await client.SendAsync(request);
                    sent++;
                    if (!response.IsSuccessStatusCode)
                        failures.Add($"{name} ({contentType}): {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
            }
        }

        Assert.Empty(failures);
        Assert.True(sent >= 8, $"Only {sent} examples were sent; every operation with a body should have one.");
    }

    private static HttpContent Body(string contentType, JsonNode example)
    {
        var fields = () => example.AsObject().Select(f => new KeyValuePair<string, string>(f.Key, f.Value!.GetValue<string>()));
        switch (contentType)
        {
            case "application/x-www-form-urlencoded":
                return new FormUrlEncodedContent(fields());
            case "multipart/form-data":
                var form = new MultipartFormDataContent();
                foreach (var (name, value) in fields()) form.Add(new StringContent(value), name);
                return form;
            default:
                var content = new StringContent(contentType == "application/json" ? example.ToJsonString() : example.GetValue<string>(), Encoding.UTF8);
                content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
                return content;
        }
    }

    [Fact]
    public async Task SendMessageExample_WithAddressObjectsInTo_QueuesEveryRecipient()
    {
        using var app = new TestApp();
        var client = app.Authorized();
        var document = JsonNode.Parse(await client.GetStringAsync(SwaggerSetup.DocumentPath))!;
        var example = document["paths"]!["/v1/send"]!["post"]!["requestBody"]!["content"]!["application/json"]!["example"]!;
        Assert.Contains(example["to"]!.AsArray(), a => a is JsonObject);

        using var response = await client.PostAsync("/v1/send", new StringContent(example.ToJsonString(), Encoding.UTF8, "application/json"));

        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        var json = await TestApp.ReadJsonAsync(response);
        Assert.Equal(["ana@example.org", "bo@example.net"], json.GetProperty("recipients").EnumerateArray().Select(r => r.GetProperty("email").GetString()));
        Assert.Equal($"/v1/messages/{json.GetProperty("id").GetString()}", response.Headers.Location?.ToString());
    }

    [Fact]
    public async Task EveryParameter_IsDescribed()
    {
        using var app = new TestApp();
        var document = JsonNode.Parse(await app.CreateClient().GetStringAsync(SwaggerSetup.DocumentPath))!;

        var undescribed = document["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().SelectMany(o => (o.Value!["parameters"]?.AsArray() ?? [])
                .Where(x => string.IsNullOrWhiteSpace((string?)x!["description"]))
                .Select(x => $"{o.Key.ToUpperInvariant()} {p.Key}: {x!["name"]}")))
            .ToArray();

        Assert.Empty(undescribed);
    }
}
