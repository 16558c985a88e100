namespace EmailApi.Queue;

/// <summary>
/// The fixed UTC windows recipients are counted in: a calendar month for the quota, the current
/// hour and minute for the send rates. A window resets at its end, all at once (fixed windows,
/// so "when does it reset" has one exact answer to give the client).
/// </summary>
public enum LimitPeriod
{
    Minute,
    Hour,
    Month,
}

public static class LimitPeriods
{
    public static string ToDb(this LimitPeriod period) => period switch
    {
        LimitPeriod.Minute => "minute",
        LimitPeriod.Hour => "hour",
        LimitPeriod.Month => "month",
        _ => throw new ArgumentOutOfRangeException(nameof(period), period, null),
    };

    public static DateTimeOffset WindowStart(this LimitPeriod period, DateTimeOffset now)
    {
        var utc = now.ToUniversalTime();
        return period switch
        {
            LimitPeriod.Minute => new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, utc.Minute, 0, TimeSpan.Zero),
            LimitPeriod.Hour => new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, TimeSpan.Zero),
            LimitPeriod.Month => new DateTimeOffset(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero),
            _ => throw new ArgumentOutOfRangeException(nameof(period), period, null),
        };
    }

    public static DateTimeOffset WindowEnd(this LimitPeriod period, DateTimeOffset now)
    {
        var start = period.WindowStart(now);
        return period switch
        {
            LimitPeriod.Minute => start.AddMinutes(1),
            LimitPeriod.Hour => start.AddHours(1),
            LimitPeriod.Month => start.AddMonths(1),
            _ => throw new ArgumentOutOfRangeException(nameof(period), period, null),
        };
    }
}
