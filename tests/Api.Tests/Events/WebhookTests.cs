using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EmailApi.Tests.Accounts;
using EmailApi.Tests.Delivery;

namespace EmailApi.Tests.Events;

public sealed class WebhookTests
{
    private static readonly Dictionary<string, string?> FastRetries = new()
    {
        ["Webhooks:PollInterval"] = "00:00:00.100",
        ["Webhooks:AllowPrivateNetworks"] = "true",   // the receivers here are on loopback
        ["Webhooks:RetryDelays:0"] = "00:00:00.300",
        ["Webhooks:RetryDelays:1"] = "00:00:00.300",
        ["Webhooks:RetryDelays:2"] = "00:00:00.300",
        ["Webhooks:RetryDelays:3"] = "00:00:00.300",
    };

    private static async Task<(string Id, string Secret)> SubscribeAsync(HttpClient client, string url, params string[] events)
    {
        var response = await client.PostAsJsonAsync("/v1/webhooks", new { url, events });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await TestApp.ReadJsonAsync(response);
        return (body.GetProperty("id").GetString()!, body.GetProperty("secret").GetString()!);
    }

    // Standard Webhooks, written out here from the specification rather than borrowed from the service.
    private static bool Verifies(ReceivedWebhook hook, string secret)
    {
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        using var hmac = new HMACSHA256(key);
        var expected = Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes($"{hook.Id}.{hook.Timestamp}.{hook.Body}")));
        return hook.Signature.Split(' ').Any(s => s.StartsWith("v1,", StringComparison.Ordinal)
            && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(s[3..]), Encoding.ASCII.GetBytes(expected)));
    }

    private static string TypeOf(ReceivedWebhook hook) => JsonDocument.Parse(hook.Body).RootElement.GetProperty("type").GetString()!;

    [Fact]
    public async Task Events_AreSignedVerifiablyAndArriveInOrderPerMessage()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var h = new DeliveryHarness(FastRetries);
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        h.Server("127.0.0.2");
        var (_, secret) = await SubscribeAsync(h.Client, receiver.Url, "queued", "delivered");

        var id = await h.SendAsync(new { from = "s@example.com", to = "user@dest.test", text = "x", tags = new[] { "welcome" }, metadata = new { order = "42" } });
        await receiver.WaitForAsync(r => r.Count >= 2, TimeSpan.FromSeconds(20));

        var hooks = receiver.Accepted;
        Assert.Equal(["message.queued", "message.delivered"], hooks.Select(TypeOf));
        Assert.All(hooks, hook => Assert.True(Verifies(hook, secret), $"signature of {hook.Id} does not verify"));
        Assert.False(Verifies(hooks[0] with { Body = hooks[0].Body.Replace("queued", "bounced") }, secret));
        Assert.InRange(long.Parse(hooks[0].Timestamp), DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        var data = JsonDocument.Parse(hooks[1].Body).RootElement.GetProperty("data");
        Assert.Equal(id, data.GetProperty("messageId").GetString());
        Assert.Equal("user@dest.test", data.GetProperty("recipient").GetString());
        Assert.Equal("welcome", data.GetProperty("tags")[0].GetString());
        Assert.Equal("42", data.GetProperty("metadata").GetProperty("order").GetString());
        // The delivery's reply as its parts beside the line (the fake server says "250 2.0.0 Ok: queued").
        Assert.Equal(250, data.GetProperty("replyCode").GetInt32());
        Assert.Equal("2.0.0", data.GetProperty("enhancedStatus").GetString());
        Assert.StartsWith("250 2.0.0 Ok: queued", data.GetProperty("detail").GetString());
        var queued = JsonDocument.Parse(hooks[0].Body).RootElement.GetProperty("data");
        Assert.Equal(JsonValueKind.Null, queued.GetProperty("replyCode").ValueKind);
    }

    [Fact]
    public async Task ReceiverDown_EventsAreRetriedAndDeliveredLater_InOrder_WithStableIds()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Status = attempt => attempt <= 3 ? 503 : 200;
        await using var h = new DeliveryHarness(FastRetries);
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        var mx = h.Server("127.0.0.2");
        var (_, secret) = await SubscribeAsync(h.Client, receiver.Url);

        var id = await h.SendAsync(new { from = "s@example.com", to = "user@dest.test", text = "x" });
        await h.WaitForStatusAsync(id, "delivered");   // mail does not wait for the webhook
        await receiver.WaitForAsync(r => r.Count >= 2, TimeSpan.FromSeconds(20));

        Assert.Single(mx.Messages);
        Assert.Equal(["message.queued", "message.delivered"], receiver.Accepted.Select(TypeOf));
        var firstId = receiver.Accepted[0].Id;
        Assert.Equal(4, receiver.All.Count(r => r.Id == firstId));   // three refusals, then accepted
        Assert.All(receiver.All, hook => Assert.True(Verifies(hook, secret)));
    }

    [Fact]
    public async Task Endpoint_FailingLongerThanDisableAfter_IsDisabled()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Status = _ => 500;
        var settings = new Dictionary<string, string?>(FastRetries) { ["Webhooks:DisableAfter"] = "00:00:00.500" };
        await using var h = new DeliveryHarness(settings);
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        h.Server("127.0.0.2");
        await SubscribeAsync(h.Client, receiver.Url, "queued");

        await h.SendAsync(new { from = "s@example.com", to = "user@dest.test", text = "x" });

        var deadline = DateTime.UtcNow.AddSeconds(20);
        JsonElement hook;
        do
        {
            await Task.Delay(100);
            hook = (await TestApp.ReadJsonAsync(await h.Client.GetAsync("/v1/webhooks")))[0];
        }
        while (hook.GetProperty("status").GetString() != "disabled" && DateTime.UtcNow < deadline);
        Assert.Equal("disabled", hook.GetProperty("status").GetString());
        var attempts = receiver.Attempts;
        // A healthy endpoint shows how far the dispatcher got: it goes round fan-out, lease and
        // posts, so once a later message's events reach this one, any post for "y" to the disabled
        // endpoint would have been made in that round or an earlier one.
        await using var witness = await WebhookReceiver.StartAsync();
        await SubscribeAsync(h.Client, witness.Url, "delivered");
        var y = await h.SendAsync(new { from = "s@example.com", to = "user@dest.test", text = "y" });
        await witness.WaitForAsync(r => r.Any(w => w.Body.Contains(y, StringComparison.Ordinal)), TimeSpan.FromSeconds(20));
        var z = await h.SendAsync(new { from = "s@example.com", to = "user@dest.test", text = "z" });
        await witness.WaitForAsync(r => r.Any(w => w.Body.Contains(z, StringComparison.Ordinal)), TimeSpan.FromSeconds(20));

        Assert.Equal(attempts, receiver.Attempts);
    }

    [Fact]
    public async Task Webhooks_AreIsolatedPerAccount_AndValidated()
    {
        using var app = new TestApp();
        var admin = new AdminApi(app);
        var a = await admin.CreateAccountAsync("a");
        var b = await admin.CreateAccountAsync("b");
        var (id, _) = await SubscribeAsync(a.Client, "https://93.184.216.34/a");   // literal: creation resolves names, and tests query no DNS off loopback

        Assert.Empty((await TestApp.ReadJsonAsync(await b.Client.GetAsync("/v1/webhooks"))).EnumerateArray());
        Assert.Equal(HttpStatusCode.NotFound, (await b.Client.DeleteAsync($"/v1/webhooks/{id}")).StatusCode);
        var listed = (await TestApp.ReadJsonAsync(await a.Client.GetAsync("/v1/webhooks")))[0];
        Assert.False(listed.TryGetProperty("secret", out _));
        Assert.Equal(EmailApi.Events.WebhookEventTypes.All.Count, listed.GetProperty("events").GetArrayLength());
        Assert.Equal(HttpStatusCode.BadRequest, (await a.Client.PostAsJsonAsync("/v1/webhooks", new { url = "ftp://x.example" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await a.Client.PostAsJsonAsync("/v1/webhooks", new { url = "https://93.184.216.34/x", events = new[] { "opened" } })).StatusCode);
        // SSRF: by default a webhook may not point into loopback, private or link-local networks.
        foreach (var internalUrl in new[] { "http://127.0.0.1:8025/v1/send", "http://localhost/x", "http://10.0.0.5/", "http://169.254.169.254/latest/meta-data", "http://[::1]/" })
            Assert.Equal(HttpStatusCode.BadRequest, (await a.Client.PostAsJsonAsync("/v1/webhooks", new { url = internalUrl })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await a.Client.DeleteAsync($"/v1/webhooks/{id}")).StatusCode);
        Assert.Empty((await TestApp.ReadJsonAsync(await a.Client.GetAsync("/v1/webhooks"))).EnumerateArray());
    }

    [Fact]
    public async Task DomainVerifiedThenFailed_ReachTheSubscribedEndpoint_InOrder_Signed()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var h = new DeliveryHarness(new(FastRetries) { ["Domains:MinVerifyInterval"] = "00:00:00", ["Delivery:PublicAddresses:0"] = "127.0.0.1" });
        var shop = await new AdminApi(h.App).CreateAccountAsync("shop");
        var (_, secret) = await SubscribeAsync(shop.Client, receiver.Url, "domain.verified", "domain.failed");
        await SubscribeAsync(h.Client, receiver.Url + "?other", "domain.verified", "domain.failed");   // another account's endpoint
        var domain = await Domains.DomainsApi.CreateAsync(shop.Client, "shop.test");
        var id = domain.GetProperty("id").GetString()!;

        Domains.DomainsApi.Publish(h.Dns, domain);
        Assert.Equal("verified", (await Domains.DomainsApi.VerifyAsync(shop.Client, id)).GetProperty("status").GetString());
        h.Dns.Clear(Domains.DomainsApi.Record(domain, "dkim").GetProperty("name").GetString()!);
        Assert.Equal("failed", (await Domains.DomainsApi.VerifyAsync(shop.Client, id)).GetProperty("status").GetString());
        await receiver.WaitForAsync(r => r.Count >= 2, TimeSpan.FromSeconds(20));

        var hooks = receiver.Accepted;
        Assert.Equal(["domain.verified", "domain.failed"], hooks.Select(TypeOf));
        Assert.All(hooks, hook => Assert.True(Verifies(hook, secret), $"signature of {hook.Id} does not verify"));
        Assert.All(hooks, hook => Assert.StartsWith("dom_", hook.Id));
        var data = JsonDocument.Parse(hooks[1].Body).RootElement.GetProperty("data");
        Assert.Equal(("shop.test", id, "failed"), (data.GetProperty("domain").GetString(), data.GetProperty("domainId").GetString(), data.GetProperty("status").GetString()));
        Assert.Contains("no longer published", data.GetProperty("detail").GetString());
    }
}
