using EmailApi.Queue;

namespace EmailApi.Accounts;

/// <summary>An account as the API shows it; <see cref="Usage"/> is filled where the current usage was read.</summary>
public sealed record AccountResponse(
    string Id,
    string Name,
    bool Disabled,
    DateTimeOffset CreatedAt,
    DateTimeOffset? UpdatedAt,
    LimitsResponse Limits,
    IReadOnlyList<string> SenderDomains,
    IReadOnlyList<string> UnsubscribeTags,
    UsageResponse? Usage)
{
    public static AccountResponse Of(Account a, IReadOnlyDictionary<LimitPeriod, long>? usage, DateTimeOffset now) => new(
        a.Id,
        a.Name,
        a.Disabled,
        a.CreatedAt,
        a.UpdatedAt,
        new LimitsResponse(a.Limits.MonthlyQuota, a.Limits.PerHour, a.Limits.PerMinute),
        a.SenderDomains,
        a.UnsubscribeTags,
        usage is null
            ? null
            : new UsageResponse(
                Window(LimitPeriod.Month, a.Limits.MonthlyQuota, usage, now),
                Window(LimitPeriod.Hour, a.Limits.PerHour, usage, now),
                Window(LimitPeriod.Minute, a.Limits.PerMinute, usage, now)));

    private static UsageWindow Window(LimitPeriod period, long? limit, IReadOnlyDictionary<LimitPeriod, long> usage, DateTimeOffset now)
    {
        var used = usage.GetValueOrDefault(period);
        return new UsageWindow(used, limit, limit is null ? null : Math.Max(0, limit.Value - used), period.WindowStart(now), period.WindowEnd(now));
    }
}

/// <summary>Recipients per calendar month (UTC), per hour and per minute; null means unlimited.</summary>
public sealed record LimitsResponse(long? MonthlyQuota, long? PerHour, long? PerMinute);

/// <summary>
/// Recipients accepted in the current windows. The hour and minute are only counted while the
/// account has that rate limit.
/// </summary>
public sealed record UsageResponse(UsageWindow Month, UsageWindow Hour, UsageWindow Minute);

public sealed record UsageWindow(long Used, long? Limit, long? Remaining, DateTimeOffset Since, DateTimeOffset ResetsAt);
