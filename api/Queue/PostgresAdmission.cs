using Dapper;
using Npgsql;

namespace EmailApi.Queue;

/// <summary>
/// <see cref="SqliteAdmission"/> on PostgreSQL: the same conditional upserts, run inside the
/// enqueue transaction. <c>INSERT … ON CONFLICT … DO UPDATE … WHERE</c> locks the conflicting row
/// and evaluates the condition on its latest committed version, so two nodes counting into the same
/// window take turns and can never both take its last unit; a second node claiming the same
/// idempotency key waits for the first's transaction and then sees its key (or, if that rolled
/// back, takes it).
/// </summary>
internal static class PostgresAdmission
{
    private const string Count = """
        INSERT INTO account_usage (account_id, period, window_start, used) VALUES (@AccountId, @Period, @WindowStart, @N)
        ON CONFLICT (account_id, period, window_start) DO UPDATE SET used = account_usage.used + excluded.used
        WHERE @Limit IS NULL OR account_usage.used + excluded.used <= @Limit
        """;

    private const string Used = "SELECT used FROM account_usage WHERE account_id = @AccountId AND period = @Period AND window_start = @WindowStart";

    private const string Claim = """
        INSERT INTO idempotency_keys (account_id, key, request_hash, created_at, expires_at) VALUES (@AccountId, @Key, @Hash, @Now, @ExpiresAt)
        ON CONFLICT (account_id, key) DO UPDATE SET request_hash = excluded.request_hash, status_code = NULL, location = NULL, response = NULL,
            created_at = excluded.created_at, expires_at = excluded.expires_at
        WHERE idempotency_keys.expires_at <= @Now
        """;

    private const string Remember = """
        UPDATE idempotency_keys SET status_code = @StatusCode, location = @Location, response = @Body WHERE account_id = @AccountId AND key = @Key
        """;

    // Messages of accounts without any limit cannot be refused: their counts are summed per account
    // and added with one statement per batch instead of one per message.
    private const string CountUnlimited = """
        INSERT INTO account_usage (account_id, period, window_start, used)
        SELECT * FROM unnest(@AccountIds::text[], @Periods::text[], @WindowStarts::bigint[], @Ns::bigint[])
        ON CONFLICT (account_id, period, window_start) DO UPDATE SET used = account_usage.used + excluded.used
        """;

    private static readonly LimitPeriod[] Periods = [LimitPeriod.Minute, LimitPeriod.Hour, LimitPeriod.Month];

    /// <summary>True when the message is counted (into the month) but no window can refuse it.</summary>
    public static bool IsUnlimited(NewMessage message) =>
        message.Limits is { MonthlyQuota: null, PerHour: null, PerMinute: null };

    /// <summary>Adds the month counts of unlimited messages, summed per account, in account order.</summary>
    public static async Task CountUnlimitedAsync(NpgsqlConnection connection, NpgsqlTransaction tx, IReadOnlyList<NewMessage> messages, DateTimeOffset now, CancellationToken ct)
    {
        if (messages.Count == 0) return;
        var totals = messages.GroupBy(m => m.AccountId, StringComparer.Ordinal)
            .Select(g => (Account: g.Key, N: g.Sum(m => (long)m.Recipients.Count)))
            .OrderBy(t => t.Account, StringComparer.Ordinal)
            .ToArray();
        var month = LimitPeriod.Month;
        await connection.ExecuteAsync(new CommandDefinition(CountUnlimited, new
        {
            AccountIds = totals.Select(t => t.Account).ToArray(),
            Periods = totals.Select(_ => month.ToDb()).ToArray(),
            WindowStarts = totals.Select(_ => month.WindowStart(now).ToUnixTimeMilliseconds()).ToArray(),
            Ns = totals.Select(t => t.N).ToArray(),
        }, tx, cancellationToken: ct));
    }

    /// <summary>Null when the key is now this request's; otherwise the earlier request's answer.</summary>
    public static async Task<EnqueueOutcome.Duplicate?> ClaimAsync(NpgsqlConnection connection, NpgsqlTransaction tx, IdempotencyClaim claim, long now, CancellationToken ct)
    {
        var args = new { claim.AccountId, claim.Key, Hash = claim.RequestHash, Now = now, ExpiresAt = claim.ExpiresAt.ToUnixTimeMilliseconds() };
        if (await connection.ExecuteAsync(new CommandDefinition(Claim, args, tx, cancellationToken: ct)) == 1) return null;
        var row = await connection.QuerySingleAsync<ClaimRow>(new CommandDefinition(
            "SELECT request_hash AS Hash, status_code AS StatusCode, location AS Location, response AS Body FROM idempotency_keys WHERE account_id = @AccountId AND key = @Key",
            args, tx, cancellationToken: ct));
        return new EnqueueOutcome.Duplicate(row.Hash, new StoredResponse((int)(row.StatusCode ?? 500), row.Location, row.Body ?? ""));
    }

    public static Task RememberAsync(NpgsqlConnection connection, NpgsqlTransaction tx, IdempotencyClaim claim, StoredResponse response, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(Remember,
            new { claim.AccountId, claim.Key, StatusCode = (long)response.StatusCode, response.Location, response.Body }, tx, cancellationToken: ct));

    /// <summary>Counts the message's recipients into every window it is limited in (always the month); all or nothing.</summary>
    public static async Task<EnqueueResult> CountAsync(NpgsqlConnection connection, NpgsqlTransaction tx, NewMessage message, DateTimeOffset now, CancellationToken ct)
    {
        var limits = message.Limits;
        if (limits is null) return new EnqueueResult.Stored();
        var n = message.Recipients.Count;
        var periods = Periods.Where(p => p == LimitPeriod.Month || limits.For(p) is not null).ToArray();
        var savepoint = periods.Length > 1 ? "usage" : null;
        if (savepoint is not null) await tx.SaveAsync(savepoint, ct);
        foreach (var period in periods)
        {
            var limit = limits.For(period);
            var args = new { message.AccountId, Period = period.ToDb(), WindowStart = period.WindowStart(now).ToUnixTimeMilliseconds(), N = (long)n, Limit = limit };
            if ((limit is null || n <= limit) && await connection.ExecuteAsync(new CommandDefinition(Count, args, tx, cancellationToken: ct)) == 1)
                continue;

            if (savepoint is not null) await tx.RollbackAsync(savepoint, ct);
            var used = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(Used, args, tx, cancellationToken: ct)) ?? 0;
            if (savepoint is not null) await tx.ReleaseAsync(savepoint, ct);
            return new EnqueueResult.LimitReached(period, limit!.Value, used, period.WindowEnd(now));
        }
        if (savepoint is not null) await tx.ReleaseAsync(savepoint, ct);
        return new EnqueueResult.Stored();
    }

    private sealed record ClaimRow(byte[] Hash, long? StatusCode, string? Location, string? Body);
}
