using System.Data.Common;
using Dapper;
using EmailApi.Storage;

namespace EmailApi.Queue;

/// <summary>
/// <see cref="IQueueInsights"/> in SQL that SQLite and PostgreSQL run unchanged. Time windows become ranges on the version 7 message ids (their first
/// 48 bits are the acceptance time). An account's activity (events by kind and hour) is read from the
/// hourly roll-up plus the events since, so an overview costs the same at a million messages as at ten.
/// </summary>
public sealed class SqlQueueInsights(SqlDialect sql, TimeProvider clock) : IQueueInsights
{
    private const long HourMs = 3_600_000;

    /// <summary>An hour is rolled up only this long after it ends: an event stamped inside it has committed by then on every node.</summary>
    public static readonly TimeSpan RollupGrace = TimeSpan.FromMinutes(5);

    /// <summary>Rolled-up hours are kept this long (every window the console shows, with room to spare).</summary>
    public static readonly TimeSpan RollupKept = TimeSpan.FromDays(400);

    /// <summary>One roll-up transaction covers at most this many hours, so catching up never holds the write lock for long.</summary>
    private const long HoursPerRollup = 24;

    public async Task<Activity> ActivityAsync(string accountId, DateTimeOffset since, CancellationToken ct)
    {
        var counts = new Dictionary<string, long>();
        foreach (var (_, kind, count) in await BucketsAsync(accountId, since, ct))
            counts[kind] = counts.GetValueOrDefault(kind) + count;
        return new Activity(counts);
    }

    public async Task<IReadOnlyDictionary<DateTimeOffset, long>> HourlyAsync(string accountId, DateTimeOffset since, CancellationToken ct)
    {
        var hours = new Dictionary<DateTimeOffset, long>();
        foreach (var (hour, kind, count) in await BucketsAsync(accountId, since, ct))
        {
            if (!Activity.AcceptedKinds.Contains(kind)) continue;
            var at = DateTimeOffset.FromUnixTimeMilliseconds(hour);
            hours[at] = hours.GetValueOrDefault(at) + count;
        }
        return hours;
    }

    public async Task<DateTimeOffset> RollUpAsync(CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        return DateTimeOffset.FromUnixTimeMilliseconds(await RollUpAsync(connection, ct));
    }

    // CROSS JOIN keeps SQLite walking the events by time (ix_events_created) and looking each message up,
    // rather than walking all the account's messages; PostgreSQL plans it as the inner join it is.

    /// <summary>
    /// The account's events since <paramref name="since"/> by (hour, kind): the closed hours from
    /// <c>activity_hours</c>, the rest (the part of an hour at the window's start, and everything since
    /// the roll-up's mark) counted from the events themselves. The two never overlap, so the sum is exact.
    /// </summary>
    private async Task<List<(long Hour, string Kind, long Count)>> BucketsAsync(string accountId, DateTimeOffset since, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        var mark = await RollUpAsync(connection, ct);
        var from = since.ToUnixTimeMilliseconds();
        var firstWhole = (from + HourMs - 1) / HourMs * HourMs;
        var buckets = new List<(long, string, long)>();
        if (firstWhole < mark)
            buckets.AddRange(await connection.QueryAsync<(long, string, long)>(new CommandDefinition("""
                SELECT hour, kind, count FROM activity_hours WHERE account_id = @AccountId AND hour >= @From AND hour < @Until
                """, new { AccountId = accountId, From = firstWhole, Until = mark }, cancellationToken: ct)));
        // Live: [from, the first whole rolled-up hour) when the window starts inside a rolled-up hour, and [max(from, mark), ∞).
        var ranges = new List<(long From, long Until)>();
        if (from < Math.Min(firstWhole, mark)) ranges.Add((from, Math.Min(firstWhole, mark)));
        ranges.Add((Math.Max(from, mark), long.MaxValue));
        foreach (var (lo, hi) in ranges)
            buckets.AddRange(await connection.QueryAsync<(long, string, long)>(new CommandDefinition("""
                SELECT e.created_at / 3600000 * 3600000 AS hour, e.type AS kind, COUNT(*) AS count
                FROM events e CROSS JOIN messages m
                WHERE m.id = e.message_id AND e.created_at >= @From AND e.created_at < @Until AND m.account_id = @AccountId
                GROUP BY e.created_at / 3600000 * 3600000, e.type
                """, new { AccountId = accountId, From = lo, Until = hi }, cancellationToken: ct)));
        return buckets;
    }

    /// <summary>
    /// Rolls the closed hours not yet rolled up into <c>activity_hours</c> (a day per transaction) and
    /// returns the mark: every hour before it is rolled up, none after. Nodes race safely: the mark moves
    /// only from the value a node read, so an hour is counted once.
    /// </summary>
    private async Task<long> RollUpAsync(DbConnection connection, CancellationToken ct)
    {
        var closed = (clock.GetUtcNow() - RollupGrace).ToUnixTimeMilliseconds() / HourMs * HourMs;
        var mark = await connection.ExecuteScalarAsync<long?>(new CommandDefinition("SELECT through FROM activity_rollup WHERE id = 1", cancellationToken: ct));
        if (mark is null)
        {
            // The first roll-up starts at the oldest event still stored.
            var oldest = await connection.ExecuteScalarAsync<long?>(new CommandDefinition("SELECT MIN(created_at) FROM events", cancellationToken: ct));
            await connection.ExecuteAsync(new CommandDefinition("INSERT INTO activity_rollup (id, through) VALUES (1, @Through) ON CONFLICT (id) DO NOTHING",
                new { Through = Math.Min(closed, oldest is { } o ? o / HourMs * HourMs : closed) }, cancellationToken: ct));
            mark = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT through FROM activity_rollup WHERE id = 1", cancellationToken: ct));
        }
        var through = mark.Value;
        while (through < closed)
        {
            var until = Math.Min(closed, through + HoursPerRollup * HourMs);
            await using var tx = await connection.BeginTransactionAsync(ct);
            var moved = await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE activity_rollup SET through = @Until WHERE id = 1 AND through = @Through", new { Until = until, Through = through }, tx, cancellationToken: ct));
            if (moved == 1)
            {
                await connection.ExecuteAsync(new CommandDefinition("""
                    INSERT INTO activity_hours (account_id, hour, kind, count)
                    SELECT m.account_id, e.created_at / 3600000 * 3600000, e.type, COUNT(*)
                    FROM events e CROSS JOIN messages m
                    WHERE m.id = e.message_id AND e.created_at >= @Through AND e.created_at < @Until
                    GROUP BY m.account_id, e.created_at / 3600000 * 3600000, e.type;
                    DELETE FROM activity_hours WHERE hour < @Forget
                    """, new { Through = through, Until = until, Forget = until - (long)RollupKept.TotalMilliseconds }, tx, cancellationToken: ct));
                await tx.CommitAsync(ct);
                through = until;
            }
            else
            {
                // Another node moved the mark first: take its value.
                await tx.RollbackAsync(ct);
                through = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT through FROM activity_rollup WHERE id = 1", cancellationToken: ct));
            }
        }
        return through;
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
