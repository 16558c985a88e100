using System.Net;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Accounts;

public sealed class QuotaTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2030, 1, 31, 23, 58, 30, TimeSpan.Zero));
    private readonly TestApp _app;
    private readonly AdminApi _admin;

    public QuotaTests()
    {
        _app = new TestApp(new() { ["Domains:RequireVerified"] = "false" }, _clock);   // these tests are about other rules: any From domain
        _admin = new AdminApi(_app);
    }

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task Send_OverMonthlyQuota_Returns429WithLimitUsageResetAndHeaders()
    {
        var account = await _admin.CreateAccountAsync("shop", new { monthlyQuota = 3 });
        Assert.Equal(HttpStatusCode.Accepted, (await account.SendAsync(TestAccount.Message(2))).StatusCode);

        var refused = await account.SendAsync(TestAccount.Message(2));

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        var problem = await TestApp.ReadJsonAsync(refused);
        Assert.Equal("monthly_quota", problem.GetProperty("limit").GetString());
        Assert.Equal(3, problem.GetProperty("allowed").GetInt64());
        Assert.Equal(2, problem.GetProperty("used").GetInt64());
        Assert.Equal(new DateTimeOffset(2030, 2, 1, 0, 0, 0, TimeSpan.Zero), problem.GetProperty("resetsAt").GetDateTimeOffset());
        Assert.Equal(TimeSpan.FromSeconds(90), refused.Headers.RetryAfter?.Delta);
        Assert.Equal("3", refused.Headers.GetValues("RateLimit-Limit").Single());
        Assert.Equal("1", refused.Headers.GetValues("RateLimit-Remaining").Single());
        Assert.Equal("90", refused.Headers.GetValues("RateLimit-Reset").Single());
        // The last unit still fits a one-recipient message.
        Assert.Equal(HttpStatusCode.Accepted, (await account.SendAsync(TestAccount.Message(1))).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await account.SendAsync(TestAccount.Message(1))).StatusCode);
    }

    [Fact]
    public async Task Quota_AtMonthBoundary_Resets()
    {
        var account = await _admin.CreateAccountAsync("shop", new { monthlyQuota = 1 });
        Assert.Equal(HttpStatusCode.Accepted, (await account.SendAsync(TestAccount.Message())).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await account.SendAsync(TestAccount.Message())).StatusCode);

        _clock.Advance(TimeSpan.FromMinutes(2));   // 2030-02-01T00:00:30Z

        Assert.Equal(HttpStatusCode.Accepted, (await account.SendAsync(TestAccount.Message())).StatusCode);
        var usage = (await TestApp.ReadJsonAsync(await account.Client.GetAsync("/v1/account"))).GetProperty("usage").GetProperty("month");
        Assert.Equal(1, usage.GetProperty("used").GetInt64());
        Assert.Equal(new DateTimeOffset(2030, 3, 1, 0, 0, 0, TimeSpan.Zero), usage.GetProperty("resetsAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task Quota_ConcurrentRequestsForTheLastUnits_ExactlyTheQuotaIsAccepted()
    {
        var account = await _admin.CreateAccountAsync("shop", new { monthlyQuota = 10 });

        var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => account.SendAsync(TestAccount.Message())));

        Assert.Equal(10, answers.Count(a => a.StatusCode == HttpStatusCode.Accepted));
        Assert.Equal(30, answers.Count(a => a.StatusCode == HttpStatusCode.TooManyRequests));
        var usage = (await TestApp.ReadJsonAsync(await account.Client.GetAsync("/v1/account"))).GetProperty("usage").GetProperty("month");
        Assert.Equal(10, usage.GetProperty("used").GetInt64());
        Assert.Equal(0, usage.GetProperty("remaining").GetInt64());
    }

    [Fact]
    public async Task RateLimit_PerMinute_Returns429ForRateAndPassesNextMinute()
    {
        var account = await _admin.CreateAccountAsync("app", new { perMinute = 2, perHour = 100 });
        Assert.Equal(HttpStatusCode.Accepted, (await account.SendAsync(TestAccount.Message(2))).StatusCode);

        var refused = await account.SendAsync(TestAccount.Message());

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var problem = await TestApp.ReadJsonAsync(refused);
        Assert.Equal("per_minute", problem.GetProperty("limit").GetString());
        Assert.Equal("Rate limit exceeded", problem.GetProperty("title").GetString());
        Assert.Equal(TimeSpan.FromSeconds(30), refused.Headers.RetryAfter?.Delta);
        _clock.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(HttpStatusCode.Accepted, (await account.SendAsync(TestAccount.Message())).StatusCode);
        // The refused message was counted nowhere.
        var usage = (await TestApp.ReadJsonAsync(await account.Client.GetAsync("/v1/account"))).GetProperty("usage");
        Assert.Equal(3, usage.GetProperty("hour").GetProperty("used").GetInt64());
        Assert.Equal(3, usage.GetProperty("month").GetProperty("used").GetInt64());
    }

    [Fact]
    public async Task RateLimit_PerHour_RefusalDoesNotConsumeMinuteOrMonth()
    {
        var account = await _admin.CreateAccountAsync("app", new { perMinute = 10, perHour = 1, monthlyQuota = 100 });
        Assert.Equal(HttpStatusCode.Accepted, (await account.SendAsync(TestAccount.Message())).StatusCode);

        var refused = await account.SendAsync(TestAccount.Message());

        Assert.Equal("per_hour", (await TestApp.ReadJsonAsync(refused)).GetProperty("limit").GetString());
        var usage = (await TestApp.ReadJsonAsync(await account.Client.GetAsync("/v1/account"))).GetProperty("usage");
        Assert.Equal(1, usage.GetProperty("minute").GetProperty("used").GetInt64());
        Assert.Equal(1, usage.GetProperty("hour").GetProperty("used").GetInt64());
        Assert.Equal(1, usage.GetProperty("month").GetProperty("used").GetInt64());
    }
}
