namespace EmailApi.Queue;

/// <summary>The account's limits the enqueue transaction enforces, each in recipients per window; null means no limit.</summary>
public sealed record SendLimits(long? MonthlyQuota, long? PerHour, long? PerMinute)
{
    public long? For(LimitPeriod period) => period switch
    {
        LimitPeriod.Minute => PerMinute,
        LimitPeriod.Hour => PerHour,
        LimitPeriod.Month => MonthlyQuota,
        _ => throw new ArgumentOutOfRangeException(nameof(period), period, null),
    };
}
