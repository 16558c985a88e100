namespace EmailApi.Tests.Queue;

/// <summary>A clock that can be set anywhere, backwards included (FakeTimeProvider refuses to go back, as a real clock can after an NTP step).</summary>
public sealed class SteppingClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
