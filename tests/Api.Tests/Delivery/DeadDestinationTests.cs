using System.Collections.Concurrent;
using System.Diagnostics;
using EmailApi.Queue;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace EmailApi.Tests.Delivery;

/// <summary>
/// A destination that defers every recipient, transaction after transaction, is suspended (Postfix's
/// dead-destination detection, KumoMTA's suspended ready queues): its other due recipients wait in
/// the queue without an attempt until the first retry delay has passed, instead of each costing a
/// transaction. A single deferral between deliveries (one greylisted mailbox) suspends nothing.
/// </summary>
public sealed class DeadDestinationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Deliver_DestinationDeferringEverything_IsSuspendedAfterThreeTransactionsForTheFirstRetryDelay()
    {
        await using var h = new DeliveryHarness(new()
        {
            ["Delivery:PerDomainConcurrency"] = "1",   // one transaction at a time, so they can be counted in order
            ["Delivery:RetryDelays:0"] = "00:00:03",
            ["Delivery:PollInterval"] = "00:00:00.200",
        });
        h.Dns.Mx("dead.test", 10, "mx.dead.test").A("mx.dead.test", "127.0.0.2");
        var server = h.Server("127.0.0.2");
        var rcpts = new ConcurrentQueue<TimeSpan>();
        var clock = Stopwatch.StartNew();
        server.OnRcpt = _ =>
        {
            rcpts.Enqueue(clock.Elapsed);
            return "451 4.7.1 try again later";
        };

        await h.QueueDirectlyAsync("dead.test", 100);   // five transactions of 20

        var deadline = Stopwatch.StartNew();
        while (rcpts.Count < 61 && deadline.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(50);
        var times = rcpts.ToArray();
        Assert.True(times.Length > 60, $"only {times.Length} RCPTs in 30 s: the suspension never ended");
        var gap = times[60] - times[59];
        output.WriteLine($"third transaction's last RCPT at {times[59].TotalSeconds:F2} s, the next at {times[60].TotalSeconds:F2} s (gap {gap.TotalSeconds:F2} s)");
        // Three transactions of 20 recipients, then nothing until the 3 s suspension is over.
        Assert.True(gap >= TimeSpan.FromSeconds(2.5), $"the fourth transaction came {gap.TotalSeconds:F2} s after the third");
        Assert.Empty(server.Messages);
    }

    [Fact]
    public async Task Deliver_OneDeferralBetweenDeliveries_SuspendsNothing()
    {
        await using var h = new DeliveryHarness(new()
        {
            ["Delivery:PerDomainConcurrency"] = "1",
            ["Delivery:RetryDelays:0"] = "00:01:00",
        });
        h.Dns.Mx("grey.test", 10, "mx.grey.test").A("mx.grey.test", "127.0.0.2");
        var server = h.Server("127.0.0.2");
        // Every other transaction greylists its recipients: never three in a row.
        var transactions = 0;
        server.OnMail = _ =>
        {
            Interlocked.Increment(ref transactions);
            return "250 2.1.0 Ok";
        };
        server.OnRcpt = _ => Volatile.Read(ref transactions) % 2 == 1 ? "451 4.7.1 greylisted" : "250 2.1.5 Ok";

        await h.QueueDirectlyAsync("grey.test", 120);   // six transactions of 20

        var deadline = Stopwatch.StartNew();
        while (server.Messages.Count < 60 && deadline.Elapsed < TimeSpan.FromSeconds(20)) await Task.Delay(50);
        Assert.Equal(60, server.Messages.Count);   // the three accepting transactions, none held back by a suspension
    }
}

/// <summary>A destination's messages are spread over several connections, five or more to each, rather than all over one.</summary>
public sealed class ConnectionSpreadTests
{
    [Fact]
    public async Task Deliver_TenMessagesToASlowDestination_UsesTwoConnectionsAtOnce()
    {
        await using var h = new DeliveryHarness(new() { ["Delivery:ConnectionCacheTime"] = "00:00:00" });
        h.Dns.Mx("slow.test", 10, "mx.slow.test").A("mx.slow.test", "127.0.0.2");
        var server = h.Server("127.0.0.2");
        var open = 0;
        server.OnData = _ =>
        {
            open = Math.Max(open, server.OpenConnections);
            Thread.Sleep(100);   // a slow site: each message takes a while
            return "250 2.0.0 Ok";
        };
        await h.QueueDirectlyAsync("slow.test", 10);

        var deadline = Stopwatch.StartNew();
        while (server.Messages.Count < 10 && deadline.Elapsed < TimeSpan.FromSeconds(20)) await Task.Delay(50);

        Assert.Equal(10, server.Messages.Count);
        Assert.Equal(2, server.ConnectionCount);
        Assert.Equal(2, open);
    }
}
