using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace EmailApi.Tests.Accounts;

/// <summary>Creates accounts and keys through the admin API with the bootstrap key (which has every scope).</summary>
internal sealed class AdminApi(TestApp app)
{
    private readonly HttpClient _admin = app.Authorized();

    public async Task<TestAccount> CreateAccountAsync(string name, object? settings = null, string[]? scopes = null)
    {
        var body = JsonSerializer.SerializeToNode(settings ?? new { }, TestApp.Json)!.AsObject();
        body["name"] = name;
        var created = await _admin.PostAsJsonAsync("/v1/accounts", body);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await TestApp.ReadJsonAsync(created)).GetProperty("id").GetString()!;
        var key = await CreateKeyAsync(id, scopes ?? ["send", "read"]);
        return new TestAccount(id, key, app.Authorized(key));
    }

    public async Task<string> CreateKeyAsync(string accountId, string[] scopes, string name = "test")
    {
        var response = await _admin.PostAsJsonAsync($"/v1/accounts/{accountId}/keys", new { name, scopes });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await TestApp.ReadJsonAsync(response)).GetProperty("key").GetString()!;
    }

    public Task<HttpResponseMessage> PatchAsync(string accountId, object changes) => _admin.PatchAsJsonAsync($"/v1/accounts/{accountId}", changes);
}

internal sealed record TestAccount(string Id, string Key, HttpClient Client)
{
    public Task<HttpResponseMessage> SendAsync(object message) => Client.PostAsJsonAsync("/v1/send", message);

    public static object Message(int recipients = 1, string from = "app@example.com", string? tag = null) => new
    {
        from,
        to = Enumerable.Range(0, recipients).Select(i => $"user{i}@example.org").ToArray(),
        subject = "Hello",
        text = "Hi",
        tags = tag is null ? null : new[] { tag },
    };
}
