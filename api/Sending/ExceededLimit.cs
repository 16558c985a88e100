using EmailApi.Queue;

namespace EmailApi.Sending;

/// <summary>Which limit refused a message: its size, how much of it was used, and when its window resets.</summary>
public sealed record ExceededLimit(LimitPeriod Period, long Limit, long Used, DateTimeOffset ResetsAt)
{
    /// <summary>The name the HTTP API and the SMTP reply use: <c>monthly_quota</c>, <c>per_hour</c>, <c>per_minute</c>.</summary>
    public string Name => Period switch
    {
        LimitPeriod.Month => "monthly_quota",
        LimitPeriod.Hour => "per_hour",
        LimitPeriod.Minute => "per_minute",
        _ => throw new ArgumentOutOfRangeException(nameof(Period), Period, null),
    };
}
