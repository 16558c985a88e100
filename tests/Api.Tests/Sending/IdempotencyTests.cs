using System.Net;
using System.Net.Http.Json;
using EmailApi.Tests.Accounts;

namespace EmailApi.Tests.Sending;

public sealed class IdempotencyTests : IDisposable
{
    private readonly TestApp _app = new(new() { ["Domains:RequireVerified"] = "false" });   // these tests are about other rules: any From domain
    private readonly AdminApi _admin;

    public IdempotencyTests() => _admin = new AdminApi(_app);

    public void Dispose() => _app.Dispose();

    private static HttpRequestMessage Post(string key, object body, string path = "/v1/send") =>
        new(HttpMethod.Post, path) { Content = JsonContent.Create(body), Headers = { { "Idempotency-Key", key } } };

    [Fact]
    public async Task SameKeySameBody_ReturnsOriginalAnswer_WithoutSecondMessage()
    {
        var account = await _admin.CreateAccountAsync("shop", new { monthlyQuota = 5 });
        var message = TestAccount.Message(2);

        var first = await account.Client.SendAsync(Post("order-42", message));
        var second = await account.Client.SendAsync(Post("order-42", message));

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
        Assert.Equal(first.Headers.Location, second.Headers.Location);
        Assert.Equal("true", second.Headers.GetValues("Idempotent-Replayed").Single());
        var log = await TestApp.ReadJsonAsync(await account.Client.GetAsync("/v1/messages"));
        Assert.Single(log.GetProperty("items").EnumerateArray());
        var usage = await TestApp.ReadJsonAsync(await account.Client.GetAsync("/v1/account"));
        Assert.Equal(2, usage.GetProperty("usage").GetProperty("month").GetProperty("used").GetInt64());
    }

    [Fact]
    public async Task SameKeyDifferentBody_Returns422_AndStoresNothing()
    {
        var account = await _admin.CreateAccountAsync("shop");
        await account.Client.SendAsync(Post("k1", TestAccount.Message(1)));

        var reused = await account.Client.SendAsync(Post("k1", TestAccount.Message(2)));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, reused.StatusCode);
        Assert.Equal("application/problem+json", reused.Content.Headers.ContentType?.MediaType);
        var log = await TestApp.ReadJsonAsync(await account.Client.GetAsync("/v1/messages"));
        Assert.Single(log.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task ConcurrentRetriesWithSameKey_StoreOneMessage_AndAllGetTheSameId()
    {
        var account = await _admin.CreateAccountAsync("shop");
        var message = TestAccount.Message();

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => account.Client.SendAsync(Post("same", message))));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.Accepted, a.StatusCode));
        var ids = await Task.WhenAll(answers.Select(async a => (await TestApp.ReadJsonAsync(a)).GetProperty("id").GetString()));
        Assert.Single(ids.Distinct());
        var log = await TestApp.ReadJsonAsync(await account.Client.GetAsync("/v1/messages"));
        Assert.Single(log.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Keys_AreScopedToTheAccount()
    {
        var a = await _admin.CreateAccountAsync("a");
        var b = await _admin.CreateAccountAsync("b");

        var first = await a.Client.SendAsync(Post("shared-key", TestAccount.Message()));
        var other = await b.Client.SendAsync(Post("shared-key", TestAccount.Message(2)));

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, other.StatusCode);
        Assert.False(other.Headers.Contains("Idempotent-Replayed"));
    }

    [Fact]
    public async Task RefusedRequest_IsNotRemembered_SoItsRetryCanSucceed()
    {
        var account = await _admin.CreateAccountAsync("shop", new { monthlyQuota = 1 });
        await account.SendAsync(TestAccount.Message());
        var refused = await account.Client.SendAsync(Post("retry-me", TestAccount.Message()));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);

        await _admin.PatchAsync(account.Id, new { monthlyQuota = 2 });
        var retried = await account.Client.SendAsync(Post("retry-me", TestAccount.Message()));

        Assert.True(retried.StatusCode == HttpStatusCode.Accepted, await retried.Content.ReadAsStringAsync());
        Assert.False(retried.Headers.Contains("Idempotent-Replayed"));
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("tab\tinside")]
    public async Task MalformedKey_Returns400(string key)
    {
        var response = await _app.Authorized().SendAsync(Post(key, TestAccount.Message()));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task KeyLongerThan256_Returns400()
    {
        var response = await _app.Authorized().SendAsync(Post(new string('k', 257), TestAccount.Message()));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
