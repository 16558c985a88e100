using EmailApi.Delivery.MtaSts;

namespace EmailApi.TlsReports;

/// <summary>
/// TLS session counts per UTC day in the database, so every sender node's sessions count towards one
/// RFC 8460 report per policy domain and day (§4.1), and the claims that let exactly one node send it.
/// </summary>
public interface ITlsReportStore
{
    /// <summary>Counts one session of <paramref name="day"/> (an upsert: concurrent nodes add up).</summary>
    Task AddAsync(DateOnly day, TlsResultKey key, MtaStsPolicy? policy, CancellationToken ct);

    /// <summary>The (day, policy domain) pairs before <paramref name="today"/> that have counts and no claim yet.</summary>
    Task<IReadOnlyList<TlsReportDay>> DueAsync(DateOnly today, CancellationToken ct);

    /// <summary>Claims the report of one (day, domain) for <paramref name="node"/>; false when another node already has it.</summary>
    Task<bool> TryClaimAsync(TlsReportDay due, string node, DateTimeOffset now, CancellationToken ct);

    Task<IReadOnlyList<TlsReportCount>> CountsAsync(TlsReportDay due, CancellationToken ct);

    /// <summary>Deletes the counts of a sent (day, domain); the claim stays so no node sends it again.</summary>
    Task DeleteCountsAsync(TlsReportDay due, CancellationToken ct);

    /// <summary>Deletes counts and claims of days before <paramref name="before"/> (late counts of claimed days, unsendable days).</summary>
    Task PurgeAsync(DateOnly before, CancellationToken ct);
}

public sealed record TlsReportDay(DateOnly Day, string Domain);

/// <summary>One counted line: the policy in force (<c>PolicyText</c> empty for <c>no-policy-found</c>), a result type and MX host, and the sessions.</summary>
public sealed record TlsReportCount(string PolicyType, string PolicyId, string PolicyText, string Result, string? Mx, long Sessions)
{
    /// <summary>The policy as it was stored; null for <c>no-policy-found</c> or a text that no longer parses.</summary>
    public MtaStsPolicy? Policy() =>
        PolicyType == "sts" && MtaStsPolicy.Parse(PolicyText, PolicyId) is MtaStsParse.Valid valid ? valid.Policy : null;
}
