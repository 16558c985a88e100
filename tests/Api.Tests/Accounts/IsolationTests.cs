using System.Net;
using System.Net.Http.Json;

namespace EmailApi.Tests.Accounts;

/// <summary>Two accounts on one server: neither can see, cancel or be billed for the other's messages, keys, suppressions or webhooks.</summary>
public sealed class IsolationTests : IDisposable
{
    private readonly TestApp _app = new(new() { ["Domains:RequireVerified"] = "false" });   // these tests are about other rules: any From domain
    private readonly AdminApi _admin;

    public IsolationTests() => _admin = new AdminApi(_app);

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task EveryEndpoint_KeepsAccountsApart()
    {
        var a = await _admin.CreateAccountAsync("a", new { monthlyQuota = 10 });
        var b = await _admin.CreateAccountAsync("b", new { monthlyQuota = 10 });
        var sent = await a.SendAsync(new { from = "s@example.com", to = "x@example.org", text = "x", tags = new[] { "secret" }, sendAt = DateTimeOffset.UtcNow.AddDays(1) });
        var id = (await TestApp.ReadJsonAsync(sent)).GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.Created, (await a.Client.PostAsJsonAsync("/v1/suppressions", new { email = "blocked@example.org" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await a.Client.PostAsJsonAsync("/v1/webhooks", new { url = "https://93.184.216.34/a" })).StatusCode);

        // Messages: not visible, not listable by any filter, not cancellable.
        Assert.Equal(HttpStatusCode.NotFound, (await b.Client.GetAsync($"/v1/messages/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Client.DeleteAsync($"/v1/messages/{id}")).StatusCode);
        foreach (var query in new[] { "", "?tag=secret", "?recipient=x@example.org", "?status=queued", "?source=api" })
            Assert.Empty((await TestApp.ReadJsonAsync(await b.Client.GetAsync($"/v1/messages{query}"))).GetProperty("items").EnumerateArray());
        Assert.Single((await TestApp.ReadJsonAsync(await a.Client.GetAsync("/v1/messages?tag=secret"))).GetProperty("items").EnumerateArray());

        // Suppressions and webhooks: each account sees only its own.
        Assert.DoesNotContain("blocked@example.org", await b.Client.GetStringAsync("/v1/suppressions"));
        Assert.Equal(HttpStatusCode.NotFound, (await b.Client.DeleteAsync("/v1/suppressions/blocked@example.org")).StatusCode);
        Assert.Empty((await TestApp.ReadJsonAsync(await b.Client.GetAsync("/v1/webhooks"))).EnumerateArray());

        // Billing: only the sender's usage moves.
        var usageA = await TestApp.ReadJsonAsync(await a.Client.GetAsync("/v1/account"));
        var usageB = await TestApp.ReadJsonAsync(await b.Client.GetAsync("/v1/account"));
        Assert.Equal(1, usageA.GetProperty("usage").GetProperty("month").GetProperty("used").GetInt64());
        Assert.Equal(0, usageB.GetProperty("usage").GetProperty("month").GetProperty("used").GetInt64());
        Assert.Equal(b.Id, usageB.GetProperty("id").GetString());

        // Keys: an account's own keys cannot reach another account's keys (admin scope only).
        Assert.Equal(HttpStatusCode.Forbidden, (await b.Client.GetAsync($"/v1/accounts/{a.Id}/keys")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await b.Client.PostAsJsonAsync($"/v1/accounts/{a.Id}/keys", new { scopes = new[] { "send" } })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await b.Client.GetAsync($"/v1/accounts/{a.Id}")).StatusCode);

        // And a's message is still there, cancellable by a.
        Assert.Equal(HttpStatusCode.OK, (await a.Client.DeleteAsync($"/v1/messages/{id}")).StatusCode);
    }
}
