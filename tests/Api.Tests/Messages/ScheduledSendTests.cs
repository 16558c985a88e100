using System.Net;
using System.Net.Http.Json;
using EmailApi.Tests.Accounts;
using EmailApi.Tests.Delivery;

namespace EmailApi.Tests.Messages;

public sealed class ScheduledSendTests
{
    [Fact]
    public async Task SendAt_InTheFuture_IsNotDeliveredBeforeItsTime_AndCanBeCancelled()
    {
        await using var h = new DeliveryHarness();
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        var mx = h.Server("127.0.0.2");
        var sendAt = DateTimeOffset.UtcNow.AddDays(2);

        var scheduled = await h.SendAsync(new { from = "s@example.com", to = new[] { "a@dest.test", "b@dest.test" }, text = "later", sendAt });
        var now = await h.SendAsync(new { from = "s@example.com", to = "c@dest.test", text = "now" });
        await h.WaitForStatusAsync(now, "delivered");

        var before = await h.GetAsync(scheduled);
        Assert.Equal("queued", before.GetProperty("status").GetString());
        Assert.Equal(sendAt.ToUnixTimeMilliseconds(), DeliveryHarness.Recipient(before, "a@dest.test").GetProperty("nextAttemptAt").GetDateTimeOffset().ToUnixTimeMilliseconds());
        Assert.Single(mx.Messages);

        var cancelled = await h.Client.DeleteAsync($"/v1/messages/{scheduled}");
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        var view = await TestApp.ReadJsonAsync(cancelled);
        Assert.Equal("cancelled", view.GetProperty("status").GetString());
        Assert.All(view.GetProperty("recipients").EnumerateArray(), r => Assert.Equal("cancelled", r.GetProperty("status").GetString()));
        Assert.Contains(view.GetProperty("events").EnumerateArray(), e => e.GetProperty("type").GetString() == "cancelled");

        // Already delivered: nothing left to cancel.
        Assert.Equal(HttpStatusCode.Conflict, (await h.Client.DeleteAsync($"/v1/messages/{now}")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await h.Client.DeleteAsync($"/v1/messages/{scheduled}")).StatusCode);
        var listed = await TestApp.ReadJsonAsync(await h.Client.GetAsync("/v1/messages?status=cancelled"));
        Assert.Equal(scheduled, listed.GetProperty("items")[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task SendAt_MoreThan30DaysAhead_Returns400()
    {
        using var app = new TestApp();

        var response = await app.Authorized().PostAsJsonAsync("/v1/send",
            new { from = "s@example.com", to = "r@example.org", text = "x", sendAt = DateTimeOffset.UtcNow.AddDays(31) });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await TestApp.ReadJsonAsync(response)).GetProperty("errors").TryGetProperty("sendAt", out _));
    }

    [Fact]
    public async Task Cancel_UnknownOrForeignMessage_Returns404()
    {
        using var app = new TestApp(new() { ["Domains:RequireVerified"] = "false" });
        var admin = new AdminApi(app);
        var owner = await admin.CreateAccountAsync("owner");
        var other = await admin.CreateAccountAsync("other");
        var id = (await TestApp.ReadJsonAsync(await owner.SendAsync(TestAccount.Message()))).GetProperty("id").GetString();

        Assert.Equal(HttpStatusCode.NotFound, (await other.Client.DeleteAsync($"/v1/messages/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await owner.Client.DeleteAsync($"/v1/messages/{Guid.NewGuid()}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await owner.Client.DeleteAsync($"/v1/messages/{id}")).StatusCode);
    }
}
