using System.Net;
using System.Net.Http.Json;
using EmailApi.TestKit;
using MimeKit;

namespace EmailApi.Tests.Delivery;

public sealed class DeliveryPolicyTests
{
    private static readonly object Simple = new { from = "Sender <sender@example.com>", to = "user@dest.test", subject = "Hello", text = "Hi" };

    [Fact]
    public async Task RequireTls_ServerWithoutStartTls_DefersInsteadOfSendingInClear()
    {
        await using var h = new DeliveryHarness(new() { ["Delivery:Destinations:dest.test:Tls"] = "Require" });
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        var server = h.Server("127.0.0.2");

        var message = await h.WaitForStatusAsync(await h.SendAsync(Simple), "deferred");

        Assert.Contains("4.7.4", DeliveryHarness.Recipient(message, "user@dest.test").GetProperty("lastResponse").GetString());
        Assert.Empty(server.Messages);
        Assert.DoesNotContain(server.Transcript, l => l.StartsWith("C: MAIL"));
    }

    [Fact]
    public async Task LeaseGatherDelay_MessagesArrivingRightAfterALease_AreLeasedTogetherAfterTheDelay()
    {
        await using var h = new DeliveryHarness(new() { ["Delivery:LeaseGatherDelay"] = "00:00:03" });
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        var server = h.Server("127.0.0.2");

        await h.SendAsync(Simple);
        await server.WaitForMessageAsync(TimeSpan.FromSeconds(20));
        var first = DateTime.UtcNow;
        var later = new List<string>();
        for (var i = 0; i < 3; i++) later.Add(await h.SendAsync(new { from = "sender@example.com", to = $"u{i}@dest.test", subject = $"later {i}", text = "Hi" }));
        foreach (var id in later) await h.WaitForStatusAsync(id, "delivered");

        // The sender took the first message alone, then waited before leasing again: the others
        // went out together, no sooner than the delay allows (a lower bound, so a slow machine cannot break it).
        Assert.Equal(4, server.Messages.Count);
        Assert.True(DateTime.UtcNow - first >= TimeSpan.FromSeconds(1.5), "the later messages were leased before the gather delay was up");
    }

    [Fact]
    public async Task RequireTls_ServerWithStartTls_DeliversEncrypted()
    {
        await using var h = new DeliveryHarness(new() { ["Delivery:Destinations:dest.test:Tls"] = "Require" });
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        var server = h.Server("127.0.0.2");
        server.OfferStartTls = true;

        await h.WaitForStatusAsync(await h.SendAsync(Simple), "delivered");

        Assert.True(Assert.Single(server.Messages).OverTls);
    }

    [Fact]
    public async Task SmartHost_RelaysEverythingThroughItWithAuth_WithoutMxLookups()
    {
        var port = FakeSmtpServer.FreePort();
        await using var relay = new FakeSmtpServer(IPAddress.Parse("127.0.0.6"), port) { Credentials = ("relay-user", "s3cret"), OfferStartTls = true };
        await using var h = new DeliveryHarness(new()
        {
            ["Delivery:SmartHost:Host"] = "127.0.0.6",
            ["Delivery:SmartHost:Port"] = port.ToString(),
            ["Delivery:SmartHost:Tls"] = "StartTls",
            ["Delivery:SmartHost:AcceptAnyCertificate"] = "true",
            ["Delivery:SmartHost:Username"] = "relay-user",
            ["Delivery:SmartHost:Password"] = "s3cret",
        });

        await h.WaitForStatusAsync(await h.SendAsync(new { from = "s@example.com", to = new[] { "a@one.test", "b@two.test" }, text = "x" }), "delivered");

        Assert.Equal(2, relay.Messages.Count);
        Assert.All(relay.Messages, m => Assert.True(m.OverTls));
        Assert.Equal(["relay-user", "relay-user"], relay.Authenticated);
        Assert.Equal(0, h.Dns.QueryCount);
    }

    [Fact]
    public async Task SmartHost_WrongPassword_Defers()
    {
        var port = FakeSmtpServer.FreePort();
        await using var relay = new FakeSmtpServer(IPAddress.Parse("127.0.0.6"), port) { Credentials = ("relay-user", "right") };
        await using var h = new DeliveryHarness(new()
        {
            ["Delivery:SmartHost:Host"] = "127.0.0.6",
            ["Delivery:SmartHost:Port"] = port.ToString(),
            ["Delivery:SmartHost:Tls"] = "None",
            ["Delivery:SmartHost:Username"] = "relay-user",
            ["Delivery:SmartHost:Password"] = "wrong",
        });

        var message = await h.WaitForStatusAsync(await h.SendAsync(Simple), "deferred");

        Assert.Contains("Authentication", DeliveryHarness.Recipient(message, "user@dest.test").GetProperty("lastResponse").GetString());
        Assert.Empty(relay.Messages);
    }

    [Fact]
    public async Task Utf8Mailbox_ServerWithoutSmtpUtf8_BouncesWith567()
    {
        await using var h = new DeliveryHarness();
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        h.Server("127.0.0.2").OfferSmtpUtf8 = false;

        var message = await h.WaitForStatusAsync(await h.SendAsync(new { from = "s@example.com", to = "jörg@dest.test", text = "x" }), "bounced");

        Assert.Contains("5.6.7", DeliveryHarness.Recipient(message, "jörg@dest.test").GetProperty("lastResponse").GetString());
    }

    [Fact]
    public async Task Utf8Mailbox_ServerWithSmtpUtf8_IsDeliveredWithSmtpUtf8()
    {
        await using var h = new DeliveryHarness();
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        var server = h.Server("127.0.0.2");

        await h.WaitForStatusAsync(await h.SendAsync(new { from = "s@example.com", to = "jörg@dest.test", text = "x" }), "delivered");

        Assert.Equal(["jörg@dest.test"], Assert.Single(server.Messages).Recipients);
        Assert.Contains(server.Transcript, l => l.StartsWith("C: MAIL FROM:<s@example.com>") && l.Contains("SMTPUTF8"));
    }

    [Fact]
    public async Task IdnDomain_IsLookedUpAndAddressedInPunycode()
    {
        await using var h = new DeliveryHarness();
        h.Dns.Mx("xn--bcher-kva.test", 10, "mx.xn--bcher-kva.test").A("mx.xn--bcher-kva.test", "127.0.0.2");
        var server = h.Server("127.0.0.2");
        server.OfferSmtpUtf8 = false;

        await h.WaitForStatusAsync(await h.SendAsync(new { from = "s@example.com", to = "user@bücher.test", text = "x" }), "delivered");

        Assert.Equal(["user@xn--bcher-kva.test"], Assert.Single(server.Messages).Recipients);
    }

    [Fact]
    public async Task StallMidData_TimesOutAndUsesTheBackupMx()
    {
        await using var h = new DeliveryHarness(new() { ["Delivery:CommandTimeout"] = "00:00:02" });
        h.Dns.Mx("dest.test", 10, "mx1.dest.test").Mx("dest.test", 20, "mx2.dest.test")
            .A("mx1.dest.test", "127.0.0.2").A("mx2.dest.test", "127.0.0.3");
        h.Server("127.0.0.2").StallInData = true;
        var backup = h.Server("127.0.0.3");

        var message = await h.WaitForStatusAsync(await h.SendAsync(Simple), "delivered");

        Assert.Single(backup.Messages);
        Assert.Contains(message.GetProperty("events").EnumerateArray(), e => e.GetProperty("mx").GetString() == "mx2.dest.test");
    }

    [Fact]
    public async Task StallMidData_OnlyMx_Defers()
    {
        await using var h = new DeliveryHarness(new() { ["Delivery:CommandTimeout"] = "00:00:02" });
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        h.Server("127.0.0.2").StallInData = true;

        var message = await h.WaitForStatusAsync(await h.SendAsync(Simple), "deferred");

        Assert.Contains("4.4.2", DeliveryHarness.Recipient(message, "user@dest.test").GetProperty("lastResponse").GetString());
    }

    [Fact]
    public async Task MessageRate_PerDestination_HoldsTheRestForLater()
    {
        await using var h = new DeliveryHarness(new() { ["Delivery:Destinations:dest.test:MessagesPerMinute"] = "2" });
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        var server = h.Server("127.0.0.2");

        var ids = new List<string>();
        for (var i = 0; i < 4; i++) ids.Add(await h.SendAsync(new { from = "s@example.com", to = $"u{i}@dest.test", text = "x" }));
        // Two are sent and the other two held for the next window: once the sender has put them off
        // that far, none can go before it (were the rate not held, all four would be sent instead).
        var held = await WaitForHeldAsync(h, ids, TimeSpan.FromSeconds(15));

        Assert.Equal(2, server.Messages.Count);
        Assert.Equal(2, held.Length);
        Assert.All(held, m => Assert.Equal(0, m.GetProperty("recipients")[0].GetProperty("attempts").GetInt32()));
    }

    private static async Task<System.Text.Json.JsonElement[]> WaitForHeldAsync(DeliveryHarness h, IReadOnlyList<string> ids, TimeSpan atLeast)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            var messages = new List<System.Text.Json.JsonElement>();
            foreach (var id in ids) messages.Add(await h.GetAsync(id));
            var held = messages.Where(m => m.GetProperty("status").GetString() == "queued"
                && m.GetProperty("recipients")[0].GetProperty("nextAttemptAt").GetDateTimeOffset() > DateTimeOffset.UtcNow + atLeast).ToArray();
            if (held.Length + messages.Count(m => m.GetProperty("status").GetString() == "delivered") == ids.Count) return held;
            await Task.Delay(50, timeout.Token);
        }
    }

    [Fact]
    public async Task SlowDestination_DoesNotHoldUpOtherDomains()
    {
        // The stalled domain holds its connection for the whole command timeout (30 s); waiting for
        // it would take that long, so 15 s tells the two apart even on a loaded machine.
        await using var h = new DeliveryHarness(new() { ["Delivery:PerDomainConcurrency"] = "1", ["Delivery:CommandTimeout"] = "00:00:30" });
        h.Dns.Mx("slow.test", 10, "mx.slow.test").A("mx.slow.test", "127.0.0.2")
            .Mx("fast.test", 10, "mx.fast.test").A("mx.fast.test", "127.0.0.3");
        var slow = h.Server("127.0.0.2");
        slow.StallInData = true;
        var fast = h.Server("127.0.0.3");

        for (var i = 0; i < 3; i++) await h.SendAsync(new { from = "s@example.com", to = $"u{i}@slow.test", text = "x" });
        // The slow domain holds its one connection, stalled in DATA, before the fast one is sent to.
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
            while (!slow.Transcript.Contains("C: DATA")) await Task.Delay(20, timeout.Token);
        var started = DateTime.UtcNow;
        await h.WaitForStatusAsync(await h.SendAsync(new { from = "s@example.com", to = "u@fast.test", text = "x" }), "delivered");

        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(15), "The fast domain waited for the slow one.");
        Assert.Single(fast.Messages);
    }
}
