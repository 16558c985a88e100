using EmailApi.Queue;

namespace EmailApi.Accounts;

/// <summary>Recipients an account may send: per calendar month (UTC), per hour and per minute; null means unlimited.</summary>
public sealed record AccountLimits(long? MonthlyQuota, long? PerHour, long? PerMinute)
{
    public static AccountLimits Unlimited { get; } = new(null, null, null);

    public SendLimits ToSendLimits() => new(MonthlyQuota, PerHour, PerMinute);
}
