using Dapper;
using EmailApi.Storage;

namespace EmailApi.Suppressions;

/// <summary><see cref="ISuppressionStore"/> in SQL both engines run unchanged (a filter that may be NULL is cast to text, so PostgreSQL can type it).</summary>
public sealed class SqlSuppressionStore(SqlDialect sql, TimeProvider clock) : ISuppressionStore
{
    public async Task<IReadOnlyList<Suppression>> ListAsync(string accountId, string? after, int limit, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        var rows = await connection.QueryAsync<SuppressionRow>(new CommandDefinition("""
            SELECT address AS Address, reason AS Reason, source AS Source, created_at AS CreatedAt FROM suppressions
            WHERE account_id = @accountId AND (CAST(@after AS TEXT) IS NULL OR address > @after) ORDER BY address LIMIT @limit
            """, new { accountId, after, limit = (long)limit }, cancellationToken: ct));
        return rows.Select(r => new Suppression(r.Address, r.Reason, r.Source, DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt))).ToArray();
    }

    public async Task<bool> AddAsync(string accountId, string address, string reason, SuppressionSource source, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO suppressions (account_id, address, reason, source, created_at) VALUES (@accountId, @address, @reason, @source, @now)
            ON CONFLICT (account_id, address) DO NOTHING
            """, new { accountId, address, reason, source = source.ToString().ToLowerInvariant(), now = clock.GetUtcNow().ToUnixTimeMilliseconds() },
            cancellationToken: ct)) == 1;
    }

    public async Task<bool> RemoveAsync(string accountId, string address, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM suppressions WHERE account_id = @accountId AND address = @address",
            new { accountId, address }, cancellationToken: ct)) == 1;
    }

    private sealed record SuppressionRow(string Address, string Reason, string Source, long CreatedAt);
}
