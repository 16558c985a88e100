using System.Net;
using System.Net.Http.Json;

namespace EmailApi.Tests.Accounts;

public sealed class AccountEndpointsTests : IDisposable
{
    private readonly TestApp _app = new(new() { ["Domains:RequireVerified"] = "false" });   // these tests are about other rules: any From domain
    private readonly AdminApi _admin;

    public AccountEndpointsTests() => _admin = new AdminApi(_app);

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task Create_WithoutQuota_GetsDefault10000AndAnySenderDomain()
    {
        var response = await _app.Authorized().PostAsJsonAsync("/v1/accounts", new { name = "agency-client" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var account = await TestApp.ReadJsonAsync(response);
        Assert.Equal(10_000, account.GetProperty("limits").GetProperty("monthlyQuota").GetInt64());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, account.GetProperty("limits").GetProperty("perMinute").ValueKind);
        Assert.Empty(account.GetProperty("senderDomains").EnumerateArray());
        Assert.False(account.GetProperty("disabled").GetBoolean());
        Assert.Equal($"/v1/accounts/{account.GetProperty("id").GetString()}", response.Headers.Location?.ToString());
    }

    [Fact]
    public async Task Create_NullQuota_IsUnlimited_AndDuplicateNameIs409()
    {
        var client = _app.Authorized();
        var created = await TestApp.ReadJsonAsync(await client.PostAsJsonAsync("/v1/accounts", new { name = "platform", monthlyQuota = (long?)null, perHour = 500 }));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, created.GetProperty("limits").GetProperty("monthlyQuota").ValueKind);
        Assert.Equal(500, created.GetProperty("limits").GetProperty("perHour").GetInt64());

        var again = await client.PostAsJsonAsync("/v1/accounts", new { name = "platform" });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Theory]
    [InlineData("""{"name":"x","monthlyQuota":-1}""", "monthlyQuota")]
    [InlineData("""{"name":"x","perMinute":"ten"}""", "perMinute")]
    [InlineData("""{"name":"x","senderDomains":["not a domain"]}""", "senderDomains")]
    [InlineData("""{"monthlyQuota":5}""", "name")]
    [InlineData("""{"name":"x","quota":5}""", "quota")]
    [InlineData("""{"name":"x","unsubscribeTags":"broadcast"}""", "unsubscribeTags")]
    [InlineData("""{"name":"x","unsubscribeTags":[""]}""", "unsubscribeTags")]
    public async Task Create_Invalid_Returns400NamingTheField(string json, string field)
    {
        var response = await _app.Authorized().PostAsync("/v1/accounts", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await TestApp.ReadJsonAsync(response)).GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task ListShowAndUpdate_ChangeOnlyTheGivenFields()
    {
        var account = await _admin.CreateAccountAsync("shop", new { monthlyQuota = 50, senderDomains = new[] { "shop.example" } });
        var admin = _app.Authorized();

        var updated = await _admin.PatchAsync(account.Id, new { perMinute = 5, monthlyQuota = (long?)null });
        var shown = await TestApp.ReadJsonAsync(await admin.GetAsync($"/v1/accounts/{account.Id}"));
        var list = await TestApp.ReadJsonAsync(await admin.GetAsync("/v1/accounts"));

        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal(5, shown.GetProperty("limits").GetProperty("perMinute").GetInt64());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, shown.GetProperty("limits").GetProperty("monthlyQuota").ValueKind);
        Assert.Equal("shop.example", shown.GetProperty("senderDomains")[0].GetString());
        Assert.Equal(0, shown.GetProperty("usage").GetProperty("month").GetProperty("used").GetInt64());
        Assert.Equal(["default", "shop"], list.GetProperty("items").EnumerateArray().Select(a => a.GetProperty("name").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, (await _admin.PatchAsync("acct_missing", new { perMinute = 1 })).StatusCode);
    }

    [Fact]
    public async Task UnsubscribeTags_DefaultBroadcast_ShownEverywhere_PatchChangesOrRefuses()
    {
        var account = await _admin.CreateAccountAsync("shop");
        var admin = _app.Authorized();

        var created = await TestApp.ReadJsonAsync(await admin.GetAsync($"/v1/accounts/{account.Id}"));
        var bad = await _admin.PatchAsync(account.Id, new { unsubscribeTags = new[] { "a\nb" } });
        var tooMany = await _admin.PatchAsync(account.Id, new { unsubscribeTags = Enumerable.Range(0, 21).Select(i => $"t{i}").ToArray() });
        var patched = await _admin.PatchAsync(account.Id, new { unsubscribeTags = new[] { "newsletter", "Promo" } });
        var own = await TestApp.ReadJsonAsync(await account.Client.GetAsync("/v1/account"));
        var cleared = await TestApp.ReadJsonAsync(await _admin.PatchAsync(account.Id, new { unsubscribeTags = (string[]?)null }));
        var listed = await TestApp.ReadJsonAsync(await admin.GetAsync("/v1/accounts"));

        Assert.Equal(["broadcast"], created.GetProperty("unsubscribeTags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.True((await TestApp.ReadJsonAsync(bad)).GetProperty("errors").TryGetProperty("unsubscribeTags", out _));
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Equal(["newsletter", "Promo"], own.GetProperty("unsubscribeTags").EnumerateArray().Select(t => t.GetString()));
        Assert.Empty(cleared.GetProperty("unsubscribeTags").EnumerateArray());
        Assert.Empty(listed.GetProperty("items").EnumerateArray().Single(a => a.GetProperty("name").GetString() == "shop").GetProperty("unsubscribeTags").EnumerateArray());
    }

    [Fact]
    public async Task AdminEndpoints_WithoutAdminScope_Return403()
    {
        var account = await _admin.CreateAccountAsync("shop");

        Assert.Equal(HttpStatusCode.Forbidden, (await account.Client.GetAsync("/v1/accounts")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await account.Client.PostAsJsonAsync("/v1/accounts", new { name = "mine" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await account.Client.GetAsync($"/v1/accounts/{account.Id}/keys")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await account.Client.PatchAsJsonAsync($"/v1/accounts/{account.Id}", new { monthlyQuota = (long?)null })).StatusCode);
    }

    [Fact]
    public async Task DisabledAccount_CannotAuthenticateOrSend_AndCanBeEnabledAgain()
    {
        var account = await _admin.CreateAccountAsync("shop");
        Assert.Equal(HttpStatusCode.Accepted, (await account.SendAsync(TestAccount.Message())).StatusCode);

        await _admin.PatchAsync(account.Id, new { disabled = true });

        Assert.Equal(HttpStatusCode.Unauthorized, (await account.SendAsync(TestAccount.Message())).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await account.Client.GetAsync("/v1/account")).StatusCode);
        await _admin.PatchAsync(account.Id, new { disabled = false });
        Assert.Equal(HttpStatusCode.Accepted, (await account.SendAsync(TestAccount.Message())).StatusCode);
    }

    [Fact]
    public async Task Keys_CreateListRevoke_KeyShownOnceAndScopesEnforced()
    {
        var account = await _admin.CreateAccountAsync("shop", scopes: ["read"]);
        var admin = _app.Authorized();

        // A read-only key cannot send.
        Assert.Equal(HttpStatusCode.Forbidden, (await account.SendAsync(TestAccount.Message())).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await account.Client.GetAsync("/v1/messages")).StatusCode);

        var sendKey = await _admin.CreateKeyAsync(account.Id, ["send"], "mailer");
        var sender = _app.Authorized(sendKey);
        Assert.Equal(HttpStatusCode.Accepted, (await sender.PostAsJsonAsync("/v1/send", TestAccount.Message())).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await sender.GetAsync("/v1/messages")).StatusCode);

        var keys = (await TestApp.ReadJsonAsync(await admin.GetAsync($"/v1/accounts/{account.Id}/keys"))).EnumerateArray().ToArray();
        Assert.Equal(2, keys.Length);
        Assert.All(keys, k => Assert.False(k.TryGetProperty("key", out _)));
        var mailer = keys.Single(k => k.GetProperty("name").GetString() == "mailer");
        Assert.Equal(["send"], mailer.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        Assert.NotEqual(System.Text.Json.JsonValueKind.Null, mailer.GetProperty("lastUsedAt").ValueKind);

        var revoked = await admin.DeleteAsync($"/v1/accounts/{account.Id}/keys/{mailer.GetProperty("id").GetString()}");
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await sender.PostAsJsonAsync("/v1/send", TestAccount.Message())).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync($"/v1/accounts/{account.Id}/keys/{mailer.GetProperty("id").GetString()}")).StatusCode);
    }

    [Fact]
    public async Task OwnAccount_ShowsLimitsAndUsage()
    {
        var account = await _admin.CreateAccountAsync("shop", new { monthlyQuota = 100, perHour = 20 });
        await account.SendAsync(TestAccount.Message(3));

        var own = await TestApp.ReadJsonAsync(await account.Client.GetAsync("/v1/account"));

        Assert.Equal(account.Id, own.GetProperty("id").GetString());
        Assert.Equal(100, own.GetProperty("limits").GetProperty("monthlyQuota").GetInt64());
        Assert.Equal(3, own.GetProperty("usage").GetProperty("month").GetProperty("used").GetInt64());
        Assert.Equal(97, own.GetProperty("usage").GetProperty("month").GetProperty("remaining").GetInt64());
        Assert.Equal(3, own.GetProperty("usage").GetProperty("hour").GetProperty("used").GetInt64());
    }
}
