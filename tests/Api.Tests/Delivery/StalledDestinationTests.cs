using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using EmailApi.Queue;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace EmailApi.Tests.Delivery;

/// <summary>
/// A destination that accepts connections and never answers must hold no more of the sender than
/// its own connection limit: with thousands of its messages queued first, mail to a healthy domain
/// still leaves at once (Postfix's qmgr: per-destination queues; KumoMTA: per-destination ready
/// queues). Before, the healthy message waited behind every lease of stalled recipients, which
/// were leased, found busy and postponed over and over (34–45 s with 10,000 of them).
/// </summary>
public sealed class StalledDestinationTests(ITestOutputHelper output)
{
    // STALLED_MESSAGES=10000 measures the issue's figure; the default keeps the suite quick.
    private static readonly int Stalled = int.TryParse(Environment.GetEnvironmentVariable("STALLED_MESSAGES"), out var n) ? n : 5_000;

    [Fact]
    public async Task Deliver_ThousandsQueuedToAStalledMx_HealthyDomainStillDeliveredWithinSeconds()
    {
        await using var h = new DeliveryHarness(new()
        {
            // Production timings: the stalled host never answers within the test, and idle polls are 1 s.
            ["Delivery:ConnectTimeout"] = "00:10:00",
            ["Delivery:GreetingTimeout"] = "00:10:00",
            ["Delivery:CommandTimeout"] = "00:10:00",
            ["Delivery:PollInterval"] = "00:00:01",
        });
        h.Dns.Mx("stalled.test", 10, "mx.stalled.test").A("mx.stalled.test", "127.0.0.3");
        h.Dns.Mx("healthy.test", 10, "mx.healthy.test").A("mx.healthy.test", "127.0.0.2");
        using var stalled = new SilentListener(IPAddress.Parse("127.0.0.3"), h.Port);
        var healthy = h.Server("127.0.0.2");

        var queuing = Stopwatch.StartNew();
        await h.QueueDirectlyAsync("stalled.test", Stalled);
        output.WriteLine($"queued {Stalled} stalled messages in {queuing.ElapsedMilliseconds} ms");
        // The sender has taken up the stalled domain before the healthy message arrives.
        await stalled.WaitForConnectionsAsync(1, TimeSpan.FromSeconds(30));

        var clockStart = Stopwatch.StartNew();
        await h.SendAsync(new { from = "sender@example.com", to = "user@healthy.test", subject = "healthy", text = "Hi" });
        await healthy.WaitForMessageAsync(TimeSpan.FromSeconds(90));
        var delay = clockStart.Elapsed;
        output.WriteLine($"healthy message delivered {delay.TotalMilliseconds:F0} ms after it was sent, with {Stalled} stalled queued; " +
            $"{stalled.Connections} connections open to the stalled MX");

        Assert.True(delay < TimeSpan.FromSeconds(5), $"the healthy domain waited {delay.TotalSeconds:F1} s behind the stalled one");
        // The stalled destination holds no more than its own connection limit (Delivery:PerDomainConcurrency, 20).
        Assert.InRange(stalled.Connections, 1, 20);
    }

    [Fact]
    public async Task Deliver_MxThatNeverGreets_DefersTheWholeJobAfterOneGreetingTimeout()
    {
        await using var h = new DeliveryHarness(new() { ["Delivery:GreetingTimeout"] = "00:00:02", ["Delivery:RetryDelays:0"] = "01:00:00" });
        h.Dns.Mx("stalled.test", 10, "mx.stalled.test").A("mx.stalled.test", "127.0.0.3");
        using var stalled = new SilentListener(IPAddress.Parse("127.0.0.3"), h.Port);
        // One lease's worth (20 messages over four connections), all due at once.
        await h.QueueDirectlyAsync("stalled.test", 20);

        var started = Stopwatch.StartNew();
        while (true)
        {
            var page = await TestApp.ReadJsonAsync(await h.Client.GetAsync("/v1/messages?status=deferred&limit=50"));
            if (page.GetProperty("items").GetArrayLength() == 20) break;
            Assert.True(started.Elapsed < TimeSpan.FromSeconds(30), $"only {page.GetProperty("items").GetArrayLength()} of 20 deferred after {started.Elapsed}");
            await Task.Delay(100);
        }
        output.WriteLine($"20 messages deferred {started.ElapsedMilliseconds} ms after queueing, over {stalled.Accepted} connections");

        // Postfix's "delivery temporarily suspended": one greeting timeout per connection (20 messages are
        // spread over 4 connections of 5, all at once), not one per message (20 x 2 s).
        Assert.InRange(stalled.Accepted, 1, 4);
        var one = (await TestApp.ReadJsonAsync(await h.Client.GetAsync("/v1/messages?status=deferred&limit=1"))).GetProperty("items")[0].GetProperty("id").GetString()!;
        var view = await h.GetAsync(one);
        Assert.Contains("4.4.2", view.GetProperty("recipients")[0].GetProperty("lastResponse").GetString());
    }

    /// <summary>Accepts TCP connections and never sends a byte, like an MX host that hangs before its greeting.</summary>
    private sealed class SilentListener : IDisposable
    {
        private readonly TcpListener _listener;
        private readonly List<Socket> _held = [];
        private readonly CancellationTokenSource _stop = new();

        public SilentListener(IPAddress address, int port)
        {
            _listener = TestKit.FakeSmtpServer.Listen(address, port, backlog: 1000);
            _ = AcceptAsync();
        }

        public int Connections { get { lock (_held) return _held.Count(s => s.Connected); } }

        public int Accepted { get { lock (_held) return _held.Count; } }

        public async Task WaitForConnectionsAsync(int count, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (Connections < count)
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"Fewer than {count} connections within {timeout}.");
                await Task.Delay(50);
            }
        }

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    var socket = await _listener.AcceptSocketAsync(_stop.Token);
                    lock (_held) _held.Add(socket);
                }
                catch (Exception) when (_stop.IsCancellationRequested) { return; }
                catch (SocketException) { return; }
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            lock (_held) foreach (var socket in _held) socket.Dispose();
        }
    }
}
