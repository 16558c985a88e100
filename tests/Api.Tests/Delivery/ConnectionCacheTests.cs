using EmailApi.TestKit;

namespace EmailApi.Tests.Delivery;

/// <summary>
/// Connections to receiving servers outlive one delivery for a moment (Delivery:ConnectionCacheTime),
/// so messages sent a moment apart share one connection, and one the server dropped meanwhile
/// costs nothing but a new connection.
/// </summary>
public sealed class ConnectionCacheTests
{
    private static object To(string recipient, string subject) =>
        new { from = "Sender <sender@example.com>", to = recipient, subject, text = "Hi" };

    /// <summary>dest.test's MX is 127.0.0.2; connections wait <paramref name="cacheTime"/> in the cache.</summary>
    private static DeliveryHarness Harness(string cacheTime)
    {
        var h = new DeliveryHarness(new() { ["Delivery:ConnectionCacheTime"] = cacheTime });
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        return h;
    }

    [Fact]
    public async Task MessagesAMomentApart_ShareOneConnection_ClosedWithQuitOnceIdle()
    {
        await using var h = Harness("00:00:03");
        var mx = h.Server("127.0.0.2");

        var first = await h.SendAsync(To("a@dest.test", "first"));
        await h.WaitForStatusAsync(first, "delivered");
        var second = await h.SendAsync(To("b@dest.test", "second"));
        await h.WaitForStatusAsync(second, "delivered");

        Assert.Equal(2, mx.Messages.Count);
        Assert.Equal(1, mx.ConnectionCount);
        Assert.Single(mx.Transcript, line => line.StartsWith("C: EHLO"));
        Assert.Equal(1, mx.OpenConnections);
        Assert.Equal(1, EmailApi.Tests.Hosting.MetricsTests.Value(await h.App.CreateClient().GetStringAsync("/metrics"), "emailapi_delivery_connections_reused_total"));

        // Left idle, the connection is closed politely once its time is up.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (mx.OpenConnections > 0 && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Equal(0, mx.OpenConnections);
        Assert.Equal("C: QUIT", mx.Transcript.Where(line => line.StartsWith("C: ")).Last());
    }

    [Fact]
    public async Task CacheTimeZero_EveryDeliveryHasItsOwnConnection()
    {
        await using var h = Harness("00:00:00");
        var mx = h.Server("127.0.0.2");

        await h.WaitForStatusAsync(await h.SendAsync(To("a@dest.test", "first")), "delivered");
        await h.WaitForStatusAsync(await h.SendAsync(To("b@dest.test", "second")), "delivered");

        Assert.Equal(2, mx.ConnectionCount);
        Assert.Equal(2, mx.Transcript.Count(line => line == "C: QUIT"));
    }

    [Fact]
    public async Task IdleConnectionTheServerClosed_IsNotUsed_MessageGoesOverANewOne()
    {
        await using var h = Harness("00:01:00");
        var mx = h.Server("127.0.0.2");

        await h.WaitForStatusAsync(await h.SendAsync(To("a@dest.test", "first")), "delivered");
        await mx.HangUpAllAsync();   // 421 and close, as an idle timeout does
        var second = await h.SendAsync(To("b@dest.test", "second"));
        var message = await h.WaitForStatusAsync(second, "delivered");

        Assert.Equal(2, mx.Messages.Count);
        Assert.Equal(2, mx.ConnectionCount);
        Assert.Equal(1, DeliveryHarness.Recipient(message, "b@dest.test").GetProperty("attempts").GetInt32());
    }

    [Fact]
    public async Task IdleConnectionCutWithoutNotice_MessageIsSentOverANewOneInTheSameAttempt()
    {
        await using var h = Harness("00:01:00");
        var mx = h.Server("127.0.0.2");

        await h.WaitForStatusAsync(await h.SendAsync(To("a@dest.test", "first")), "delivered");
        mx.DropAtMail = 1;   // the cached connection looks open, but the next MAIL gets no answer
        var second = await h.SendAsync(To("b@dest.test", "second"));
        var message = await h.WaitForStatusAsync(second, "delivered");

        Assert.Equal(2, mx.Messages.Count);
        Assert.Equal(2, mx.ConnectionCount);
        var recipient = DeliveryHarness.Recipient(message, "b@dest.test");
        Assert.Equal(1, recipient.GetProperty("attempts").GetInt32());
        Assert.StartsWith("250", recipient.GetProperty("lastResponse").GetString());
        Assert.DoesNotContain(message.GetProperty("events").EnumerateArray(), e => e.GetProperty("type").GetString() == "deferred");
    }
}
