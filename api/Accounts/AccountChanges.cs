namespace EmailApi.Accounts;

/// <summary>A partial update: only the fields that are set change (an <see cref="Optional{T}"/> with no value leaves the field alone).</summary>
public sealed record AccountChanges(
    string? Name,
    Optional<long?> MonthlyQuota,
    Optional<long?> PerHour,
    Optional<long?> PerMinute,
    IReadOnlyList<string>? SenderDomains,
    bool? Disabled,
    IReadOnlyList<string>? UnsubscribeTags = null);
