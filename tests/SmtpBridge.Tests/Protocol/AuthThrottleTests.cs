using System.Net;
using EmailApi.SmtpBridge;
using EmailApi.SmtpBridge.Protocol;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Protocol;

public sealed class AuthThrottleTests
{
    private static readonly IPAddress Client = IPAddress.Parse("192.0.2.7");
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2025-06-01T12:00:00Z"));

    [Fact]
    public void RecordFailure_Repeated_GrowsDelayUpToFiveSteps()
    {
        var throttle = Throttle(maxFailures: 100);

        var delays = Enumerable.Range(0, 7).Select(_ => throttle.RecordFailure(Client)).ToArray();

        Assert.Equal([1, 2, 3, 4, 5, 5, 5], delays.Select(d => (int)d!.Value.TotalSeconds));
    }

    [Fact]
    public void RecordFailure_AtLimit_LocksOutUntilLockoutEnds()
    {
        var throttle = Throttle(maxFailures: 3);
        throttle.RecordFailure(Client);
        throttle.RecordFailure(Client);

        Assert.Null(throttle.RecordFailure(Client));
        Assert.True(throttle.IsLockedOut(Client));
        Assert.False(throttle.IsLockedOut(IPAddress.Parse("192.0.2.8")));
        _clock.Advance(TimeSpan.FromMinutes(15));
        Assert.False(throttle.IsLockedOut(Client));
        Assert.Equal(TimeSpan.FromSeconds(1), throttle.RecordFailure(Client));
    }

    [Fact]
    public void RecordFailure_AfterWindow_StartsCountingAgain()
    {
        var throttle = Throttle(maxFailures: 3);
        throttle.RecordFailure(Client);
        throttle.RecordFailure(Client);
        _clock.Advance(TimeSpan.FromMinutes(16));

        Assert.Equal(TimeSpan.FromSeconds(1), throttle.RecordFailure(Client));
    }

    [Fact]
    public void RecordSuccess_ClearsFailures()
    {
        var throttle = Throttle(maxFailures: 3);
        throttle.RecordFailure(Client);
        throttle.RecordFailure(Client);
        throttle.RecordSuccess(Client);

        Assert.Equal(TimeSpan.FromSeconds(1), throttle.RecordFailure(Client));
    }

    private AuthThrottle Throttle(int maxFailures) =>
        new(BridgeSettings.From(new SmtpOptions { ServerName = "relay.test", MaxAuthFailures = maxFailures }), _clock);
}
