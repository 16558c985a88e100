using EmailApi.Delivery;
using Microsoft.Extensions.Options;

namespace EmailApi.Tests.Delivery;

public sealed class RetryScheduleTests
{
    private static readonly DateTimeOffset Queued = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly RetrySchedule _schedule = new(Options.Create(new DeliveryOptions()));

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 5)]
    [InlineData(3, 15)]
    [InlineData(4, 30)]
    [InlineData(5, 60)]
    [InlineData(6, 120)]
    [InlineData(7, 240)]
    [InlineData(8, 240)]
    [InlineData(30, 240)]
    public void Next_WithoutJitter_FollowsTheLadder(int attempts, int minutes)
    {
        var now = Queued.AddMinutes(10);
        Assert.Equal(now.AddMinutes(minutes), _schedule.Next(attempts, Queued, now, jitter: 0));
    }

    [Theory]
    [InlineData(0.1, 66)]
    [InlineData(-0.1, 54)]
    [InlineData(5.0, 66)]   // jitter is clamped to ±10%
    public void Next_WithJitter_StaysWithinTenPercent(double jitter, int seconds)
    {
        Assert.Equal(Queued.AddSeconds(seconds), _schedule.Next(1, Queued, Queued, jitter));
    }

    [Fact]
    public void Next_NearTheLifetime_LastTryFallsOnTheExpiry()
    {
        var now = Queued.AddDays(5).AddHours(-1);
        Assert.Equal(Queued.AddDays(5), _schedule.Next(8, Queued, now, 0));
    }

    [Fact]
    public void Next_PastTheLifetime_GivesUp()
    {
        Assert.Null(_schedule.Next(40, Queued, Queued.AddDays(5), 0));
    }

    [Fact]
    public void Next_ConfiguredDelays_AreUsed()
    {
        var custom = new RetrySchedule(Options.Create(new DeliveryOptions { RetryDelays = [TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20)], MaxQueueLifetime = TimeSpan.FromHours(1) }));
        Assert.Equal(Queued.AddSeconds(10), custom.Next(1, Queued, Queued, 0));
        Assert.Equal(Queued.AddSeconds(20), custom.Next(5, Queued, Queued, 0));
    }
}
