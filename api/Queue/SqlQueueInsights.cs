using Dapper;
using EmailApi.Storage;

namespace EmailApi.Queue;

/// <summary>
/// <see cref="IQueueInsights"/> in SQL that SQLite and PostgreSQL run unchanged. Time windows become ranges on the version 7 message ids (their first
/// 48 bits are the acceptance time), so the account's indexes on <c>recipients(account_id, status,
/// message_id)</c> and <c>messages(account_id, created_at)</c> answer them.
/// </summary>
public sealed class SqlQueueInsights(SqlDialect sql, TimeProvider clock) : IQueueInsights
{
    private static readonly RecipientStatus[] Statuses = Enum.GetValues<RecipientStatus>();

    public async Task<Activity> ActivityAsync(string accountId, DateTimeOffset since, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        var counts = new Dictionary<RecipientStatus, long>();
        // One range count per status: each is a walk of one stretch of the (account_id, status, message_id) index.
        foreach (var status in Statuses)
        {
            var n = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM recipients WHERE account_id = @AccountId AND status = @Status AND message_id >= @SinceId",
                new { AccountId = accountId, Status = status.ToDb(), SinceId = MessageId.FirstTextAt(since) }, cancellationToken: ct));
            if (n > 0) counts[status] = n;
        }
        return new Activity(counts);
    }

    public async Task<IReadOnlyDictionary<DateTimeOffset, long>> HourlyAsync(string accountId, DateTimeOffset since, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        var rows = await connection.QueryAsync<(long Hour, long Count)>(new CommandDefinition("""
            SELECT created_at / 3600000 AS Hour, COUNT(*) AS Count FROM messages
            WHERE account_id = @AccountId AND created_at >= @Since GROUP BY created_at / 3600000
            """, new { AccountId = accountId, Since = since.ToUnixTimeMilliseconds() }, cancellationToken: ct));
        return rows.ToDictionary(r => DateTimeOffset.FromUnixTimeMilliseconds(r.Hour * 3_600_000), r => r.Count);
    }

    public async Task<QueueOverview> OverviewAsync(int maxDomains, CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await sql.OpenAsync(ct);
        var due = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            """
            SELECT (SELECT COUNT(*) FROM recipients WHERE status = 'queued' AND next_attempt_at <= @Now)
                 + (SELECT COUNT(*) FROM recipients WHERE status = 'deferred' AND next_attempt_at <= @Now)
            """, new { Now = now }, cancellationToken: ct));
        var live = await QueueCounts.CountLiveAsync(connection, ct);
        var oldest = await connection.ExecuteScalarAsync<long?>(new CommandDefinition("""
            SELECT MIN(m.created_at) FROM messages m
            WHERE m.id = (SELECT MIN(message_id) FROM recipients WHERE status IN ('queued', 'deferred', 'sending'))
            """, cancellationToken: ct));
        var domains = (await connection.QueryAsync<BacklogRow>(new CommandDefinition("""
            SELECT domain AS Domain, COUNT(*) AS Recipients, MIN(next_attempt_at) AS NextAttemptAt, MAX(updated_at) AS LastAt
            FROM recipients WHERE status = 'deferred' GROUP BY domain ORDER BY COUNT(*) DESC, domain LIMIT @Limit
            """, new { Limit = (long)maxDomains }, cancellationToken: ct))).AsList();
        var backlog = new List<DestinationBacklog>(domains.Count);
        foreach (var d in domains)
        {
            var reply = await connection.QueryFirstOrDefaultAsync<string?>(new CommandDefinition(
                "SELECT last_response FROM recipients WHERE status = 'deferred' AND domain = @Domain AND updated_at = @At",
                new { d.Domain, At = d.LastAt }, cancellationToken: ct));
            backlog.Add(new DestinationBacklog(d.Domain, d.Recipients,
                d.NextAttemptAt is { } next ? DateTimeOffset.FromUnixTimeMilliseconds(next) : null, reply,
                d.LastAt is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null));
        }
        return new QueueOverview(due, live, oldest is { } o ? DateTimeOffset.FromUnixTimeMilliseconds(o) : null, backlog);
    }

    public async Task<StoredSource?> SourceAsync(string accountId, MessageId id, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        var rows = (await connection.QueryAsync<byte[]?>(new CommandDefinition(
            "SELECT raw FROM messages WHERE id = @Id AND account_id = @AccountId", new { Id = id.ToString(), AccountId = accountId }, cancellationToken: ct))).AsList();
        return rows.Count == 0 ? null : new StoredSource(rows[0]);
    }

    public async Task<int> RetryNowAsync(string accountId, MessageId id, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE recipients SET next_attempt_at = @Now, updated_at = @Now
            WHERE message_id = @Id AND account_id = @AccountId AND status = 'deferred'
            """, new { Id = id.ToString(), AccountId = accountId, Now = clock.GetUtcNow().ToUnixTimeMilliseconds() }, cancellationToken: ct));
    }

    // Properties, not a positional record: SQLite types the aggregate columns of an empty result as blobs.
    private sealed class BacklogRow
    {
        public string Domain { get; init; } = "";
        public long Recipients { get; init; }
        public long? NextAttemptAt { get; init; }
        public long? LastAt { get; init; }
    }
}
