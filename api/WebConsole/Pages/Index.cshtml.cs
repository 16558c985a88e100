using EmailApi.Accounts;
using EmailApi.Queue;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace EmailApi.WebConsole.Pages;

public sealed class IndexModel(IQueueInsights insights, IAccountStore accounts, TimeProvider clock, IConfiguration configuration) : ConsolePage
{
    public Activity Last24Hours { get; private set; } = null!;
    public Activity Last30Days { get; private set; } = null!;
    public IReadOnlyList<(DateTimeOffset Hour, long Count)> Hours { get; private set; } = [];
    public long MaxPerHour { get; private set; }
    public UsageWindow? Usage { get; private set; }
    public string BaseUrl { get; private set; } = "";
    public string SmtpPort { get; private set; } = "";

    public async Task OnGetAsync(CancellationToken ct)
    {
        var account = User.AccountId();
        var now = clock.GetUtcNow();
        Last24Hours = await insights.ActivityAsync(account, now.AddHours(-24), ct);
        Last30Days = await insights.ActivityAsync(account, now.AddDays(-30), ct);
        var thisHour = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero);
        var hourly = await insights.HourlyAsync(account, thisHour.AddHours(-23), ct);
        Hours = Enumerable.Range(0, 24).Select(i => thisHour.AddHours(i - 23)).Select(h => (h, hourly.GetValueOrDefault(h))).ToArray();
        MaxPerHour = Hours.Max(h => h.Count);
        if ((await AccountEndpoints.GetOwnAsync(User, accounts, clock, ct)).Result is Ok<AccountResponse> { Value.Usage: { } usage })
            Usage = usage.Month;
        BaseUrl = configuration["Http:PublicBaseUrl"]?.TrimEnd('/') ?? $"{Request.Scheme}://{Request.Host}";
        SmtpPort = configuration["Smtp:Port"] ?? "2525";
    }
}
