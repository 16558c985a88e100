using System.Data.Common;
using System.Globalization;
using Dapper;
using EmailApi.Delivery.MtaSts;
using EmailApi.Storage;

namespace EmailApi.TlsReports;

/// <summary>
/// <see cref="ITlsReportStore"/> in SQL that SQLite and PostgreSQL run unchanged. Days are <c>yyyy-MM-dd</c>
/// text (they sort as dates); a missing MX host is stored as '' so it can be part of the key.
/// </summary>
public sealed class SqlTlsReportStore(SqlDialect sql) : ITlsReportStore
{
    public async Task AddAsync(DateOnly day, TlsResultKey key, MtaStsPolicy? policy, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO tls_report_counts (day, policy_domain, policy_type, policy_id, result_type, mx_host, policy_text, sessions)
            VALUES (@day, @Domain, @type, @id, @Result, @mx, @text, 1)
            ON CONFLICT (day, policy_domain, policy_type, policy_id, result_type, mx_host)
            DO UPDATE SET sessions = tls_report_counts.sessions + 1, policy_text = excluded.policy_text
            """, new
        {
            day = Text(day),
            key.Domain,
            // RFC 8460 §4.4: "sts" with the policy in force, or "no-policy-found".
            type = policy is null ? "no-policy-found" : "sts",
            id = policy?.Id ?? "",
            key.Result,
            mx = key.Mx ?? "",
            text = policy is null ? "" : string.Join("\n", policy.Lines) + "\n",
        }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<TlsReportDay>> DueAsync(DateOnly today, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        var rows = await connection.QueryAsync<(string Day, string Domain)>(new CommandDefinition("""
            SELECT DISTINCT c.day, c.policy_domain FROM tls_report_counts c
            WHERE c.day < @today
              AND NOT EXISTS (SELECT 1 FROM tls_report_claims k WHERE k.day = c.day AND k.policy_domain = c.policy_domain)
            ORDER BY c.day, c.policy_domain
            """, new { today = Text(today) }, cancellationToken: ct));
        return [.. rows.Select(r => new TlsReportDay(DateOnly.ParseExact(r.Day, "yyyy-MM-dd", CultureInfo.InvariantCulture), r.Domain))];
    }

    public async Task<bool> TryClaimAsync(TlsReportDay due, string node, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        // The primary key decides: of two nodes inserting the same (day, domain), one inserts a row.
        var inserted = await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO tls_report_claims (day, policy_domain, node, claimed_at) VALUES (@day, @domain, @node, @now)
            ON CONFLICT (day, policy_domain) DO NOTHING
            """, new { day = Text(due.Day), domain = due.Domain, node, now = now.ToUnixTimeMilliseconds() }, cancellationToken: ct));
        return inserted == 1;
    }

    public async Task<IReadOnlyList<TlsReportCount>> CountsAsync(TlsReportDay due, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition("""
            SELECT policy_type AS PolicyType, policy_id AS PolicyId, policy_text AS PolicyText, result_type AS Result, mx_host AS Mx, sessions AS Sessions
            FROM tls_report_counts WHERE day = @day AND policy_domain = @domain
            ORDER BY policy_type, policy_id, result_type, mx_host
            """, new { day = Text(due.Day), domain = due.Domain }, cancellationToken: ct));
        return [.. rows.Select(r => new TlsReportCount(r.PolicyType, r.PolicyId, r.PolicyText, r.Result, r.Mx == "" ? null : r.Mx, r.Sessions))];
    }

    public async Task DeleteCountsAsync(TlsReportDay due, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM tls_report_counts WHERE day = @day AND policy_domain = @domain",
            new { day = Text(due.Day), domain = due.Domain }, cancellationToken: ct));
    }

    public async Task PurgeAsync(DateOnly before, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            DELETE FROM tls_report_counts WHERE day < @before;
            DELETE FROM tls_report_claims WHERE day < @before;
            """, new { before = Text(before) }, cancellationToken: ct));
    }

    private static string Text(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private sealed record Row(string PolicyType, string PolicyId, string PolicyText, string Result, string Mx, long Sessions);
}
