using Dapper;
using EmailApi.Storage;

namespace EmailApi.Delivery.MtaSts;

/// <summary>
/// <see cref="IMtaStsPolicyStore"/> in SQL that SQLite and PostgreSQL run unchanged; times as Unix ms.
/// The policy is kept as the text it was fetched as and parsed again when read (it parsed when stored).
/// </summary>
public sealed class SqlMtaStsPolicyStore(SqlDialect sql) : IMtaStsPolicyStore
{
    public async Task<CachedMtaStsPolicy?> FindAsync(string domain, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition("""
            SELECT domain AS Domain, policy_id AS PolicyId, policy_text AS PolicyText, fetched_at AS FetchedAt, expires_at AS ExpiresAt
            FROM mta_sts_policies WHERE domain = @domain
            """, new { domain }, cancellationToken: ct));
        if (row is null) return null;
        // A row that no longer parses (a stricter parser since) counts as no cached policy.
        return MtaStsPolicy.Parse(row.PolicyText, row.PolicyId) is MtaStsParse.Valid valid
            ? new CachedMtaStsPolicy(row.Domain, valid.Policy, DateTimeOffset.FromUnixTimeMilliseconds(row.FetchedAt), DateTimeOffset.FromUnixTimeMilliseconds(row.ExpiresAt))
            : null;
    }

    public async Task SaveAsync(CachedMtaStsPolicy cached, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO mta_sts_policies (domain, policy_id, policy_text, fetched_at, expires_at)
            VALUES (@Domain, @PolicyId, @PolicyText, @FetchedAt, @ExpiresAt)
            ON CONFLICT (domain) DO UPDATE SET policy_id = excluded.policy_id, policy_text = excluded.policy_text,
                fetched_at = excluded.fetched_at, expires_at = excluded.expires_at
            """, new
        {
            cached.Domain,
            PolicyId = cached.Policy.Id,
            PolicyText = string.Join("\n", cached.Policy.Lines) + "\n",
            FetchedAt = cached.FetchedAt.ToUnixTimeMilliseconds(),
            ExpiresAt = cached.ExpiresAt.ToUnixTimeMilliseconds(),
        }, cancellationToken: ct));
    }

    private sealed record Row(string Domain, string PolicyId, string PolicyText, long FetchedAt, long ExpiresAt);
}
