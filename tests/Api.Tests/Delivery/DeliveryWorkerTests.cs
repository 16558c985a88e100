using System.Text.Json;
using EmailApi.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Delivery;

/// <summary>
/// The sender's scheduling on a fake clock: what is due, when a deferral comes back, when a
/// recipient gives up. The loop polls in real time; every decision about time reads the
/// <see cref="FakeTimeProvider"/>, so hours pass in a step and "not yet" is shown by letting the
/// sender go round the queue, never by sleeping.
/// </summary>
public sealed class DeliveryWorkerTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-03-02T08:00:00Z"));

    private DeliveryHarness Harness(Dictionary<string, string?>? settings = null)
    {
        var h = new DeliveryHarness(settings, _clock);
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        return h;
    }

    private static JsonElement Only(JsonElement message) => message.GetProperty("recipients")[0];

    private static int Attempts(JsonElement message) => Only(message).GetProperty("attempts").GetInt32();

    [Theory]
    [InlineData(1, 60)]      // the default schedule: 1 minute, then 5, 15, 30 minutes...
    [InlineData(2, 300)]
    [InlineData(3, 900)]
    public async Task Deferred_NextAttempt_FollowsTheScheduleOnTheClock(int attempt, int seconds)
    {
        await using var h = Harness();
        var server = h.Server("127.0.0.2");
        server.OnRcpt = _ => "451 4.7.1 Greylisted";

        var id = await h.SendAsync(new { from = "s@example.com", to = "u@dest.test", text = "x" });
        JsonElement message = default;
        for (var i = 1; i <= attempt; i++)
        {
            message = await h.WaitForAsync(id, m => Attempts(m) == i);
            if (i < attempt) _clock.Advance(TimeSpan.FromSeconds(seconds));   // past any earlier delay (each is shorter)
        }
        var next = Only(message).GetProperty("nextAttemptAt").GetDateTimeOffset();

        // ±10% jitter (RetrySchedule) around the step, counted from the fake clock's now.
        Assert.InRange(next - _clock.GetUtcNow(), TimeSpan.FromSeconds(seconds * 0.9), TimeSpan.FromSeconds(seconds * 1.1));
        Assert.Equal((451, "4.7.1"), (Only(message).GetProperty("lastReplyCode").GetInt32(), Only(message).GetProperty("lastEnhancedStatus").GetString()));
    }

    [Fact]
    public async Task Deferred_IsNotRetriedBeforeItIsDue_AndIsRetriedOnceItIs()
    {
        await using var h = Harness(new() { ["Delivery:RetryDelays:0"] = "00:10:00" });
        var server = h.Server("127.0.0.2");
        server.OnRcpt = _ => "451 4.7.1 Greylisted";
        var id = await h.SendAsync(new { from = "s@example.com", to = "u@dest.test", text = "x" });
        await h.WaitForAsync(id, m => Attempts(m) == 1);

        // Nine minutes on, several rounds of the sender later: still one attempt.
        _clock.Advance(TimeSpan.FromMinutes(9));
        await h.WaitForSenderRoundsAsync(3);
        Assert.Equal(1, Attempts(await h.GetAsync(id)));
        Assert.Equal(1, server.Transcript.Count(l => l.StartsWith("C: RCPT", StringComparison.Ordinal)));

        server.OnRcpt = _ => "250 2.1.5 Ok";
        _clock.Advance(TimeSpan.FromMinutes(2));
        var delivered = await h.WaitForStatusAsync(id, "delivered");

        Assert.Equal(2, Attempts(delivered));
        Assert.Equal(_clock.GetUtcNow(), Only(delivered).GetProperty("updatedAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task Deferred_PastTheQueueLifetime_BouncesWith547AndTheLastReply()
    {
        await using var h = Harness(new() { ["Delivery:MaxQueueLifetime"] = "00:30:00", ["Delivery:RetryDelays:0"] = "00:20:00" });
        h.Server("127.0.0.2").OnRcpt = _ => "451 4.7.1 Greylisted";
        var id = await h.SendAsync(new { from = "s@example.com", to = "u@dest.test", text = "x" });
        var first = await h.WaitForAsync(id, m => Attempts(m) == 1);
        var expiry = first.GetProperty("createdAt").GetDateTimeOffset() + TimeSpan.FromMinutes(30);

        // The second try fails too; the third is not 20 minutes later but on the expiry itself.
        _clock.Advance(TimeSpan.FromMinutes(25));
        var second = await h.WaitForAsync(id, m => Attempts(m) == 2);
        Assert.Equal("deferred", second.GetProperty("status").GetString());
        Assert.Equal(expiry, Only(second).GetProperty("nextAttemptAt").GetDateTimeOffset());

        // When that one fails as well, the recipient bounces instead of being put off again.
        _clock.Advance(TimeSpan.FromMinutes(5));
        var bounced = await h.WaitForStatusAsync(id, "bounced");

        var recipient = Only(bounced);
        Assert.Equal(3, recipient.GetProperty("attempts").GetInt32());
        Assert.Equal(JsonValueKind.Null, recipient.GetProperty("lastReplyCode").ValueKind);   // our verdict, not a server's
        Assert.Equal("5.4.7", recipient.GetProperty("lastEnhancedStatus").GetString());
        Assert.Contains("last reply: 451 4.7.1 Greylisted", recipient.GetProperty("lastResponse").GetString());
    }

    /// <summary>
    /// A job looks its destination up (MX hosts, MTA-STS policy) while it waits for a connection
    /// slot; one that waited longer than half a minute behind a slow destination looks it up again
    /// before it dials, so it never sends to hosts the domain has since given up.
    /// </summary>
    [Fact]
    public async Task AJobThatWaitedLongForItsSlot_LooksTheMxUpAgain_BeforeItDials()
    {
        await using var h = Harness(new() { ["Delivery:PerDomainConcurrency"] = "1", ["Delivery:BatchSize"] = "1" });
        var old = h.Server("127.0.0.2");
        var moved = h.Server("127.0.0.3");
        using var gate = new ManualResetEventSlim();
        var inData = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        old.OnData = _ =>
        {
            inData.TrySetResult();
            return gate.Wait(TimeSpan.FromSeconds(30)) ? "250 2.0.0 Ok: queued" : "451 4.3.0 gate never opened";
        };

        var first = await h.SendAsync(new { from = "s@example.com", to = "u1@dest.test", text = "first" });
        await inData.Task.WaitAsync(TimeSpan.FromSeconds(20));   // the one connection is busy in DATA
        var mxQueries = h.Dns.QueriesFor("dest.test");
        var second = await h.SendAsync(new { from = "s@example.com", to = "u2@dest.test", text = "second" });
        // The second job has asked for the MX hosts and now waits for the slot with mx.dest.test in hand.
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
            while (h.Dns.QueriesFor("dest.test") <= mxQueries) await Task.Delay(20, timeout.Token);

        // The domain moves its mail elsewhere, and the job waits on for more than half a minute.
        h.Dns.Clear("dest.test");
        h.Dns.Mx("dest.test", 10, "mx2.dest.test").A("mx2.dest.test", "127.0.0.3");
        _clock.Advance(TimeSpan.FromSeconds(31));
        gate.Set();

        await h.WaitForStatusAsync(first, "delivered");
        var delivered = await h.WaitForStatusAsync(second, "delivered");
        Assert.Contains(delivered.GetProperty("events").EnumerateArray(), e => e.GetProperty("type").GetString() == "delivered" && e.GetProperty("mx").GetString() == "mx2.dest.test");
        Assert.Single(moved.Messages);
        Assert.Single(old.Messages);
    }
}
