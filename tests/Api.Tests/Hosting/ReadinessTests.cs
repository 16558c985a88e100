using System.Net;
using System.Net.Sockets;
using EmailApi.Tests.Delivery;

namespace EmailApi.Tests.Hosting;

/// <summary>
/// Readiness on a sender node (issue #15, point 12): 200 only while due mail gets picked up. A
/// sender whose every slot hangs on a silent receiver leases nothing more, and mail that became
/// due meanwhile waits; after <c>Health:SenderStallAfter</c> readiness says so, naming the check.
/// </summary>
public sealed class ReadinessTests
{
    [Fact]
    public async Task Ready_WhenMailIsDueAndTheSenderHasNotLeasedForTooLong_Returns503NamingSender()
    {
        await using var harness = new DeliveryHarness(new()
        {
            ["Delivery:MaxConcurrency"] = "1",
            ["Delivery:CommandTimeout"] = "00:05:00",
            ["Health:SenderStallAfter"] = "00:00:02",
            ["Storage:MinFreeBytes"] = "0",
        });
        harness.Dns.Mx("stall.test", 10, "mx.stall.test").A("mx.stall.test", "127.0.0.3");
        // Accepts connections and never greets: the one delivery slot hangs.
        using var silent = new TcpListener(IPAddress.Parse("127.0.0.3"), harness.Port);
        silent.Start();
        var health = harness.App.CreateClient();

        var ready = await health.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", (await TestApp.ReadJsonAsync(ready)).GetProperty("checks").GetProperty("sender").GetProperty("status").GetString());

        await harness.SendAsync(new { from = "s@example.com", to = "a@stall.test", text = "takes the only slot" });
        using var held = await silent.AcceptSocketAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await harness.SendAsync(new { from = "s@example.com", to = "b@stall.test", text = "due, but never leased" });

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        do
        {
            ready = await health.GetAsync("/health/ready");
            if (ready.StatusCode == HttpStatusCode.ServiceUnavailable) break;
            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var checks = (await TestApp.ReadJsonAsync(ready)).GetProperty("checks");
        Assert.Equal("Unhealthy", checks.GetProperty("sender").GetProperty("status").GetString());
        Assert.Contains("the sender has not leased", checks.GetProperty("sender").GetProperty("description").GetString());
        Assert.Equal("Healthy", checks.GetProperty("storage").GetProperty("status").GetString());
    }
}
