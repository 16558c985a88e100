using System.Data.Common;
using Dapper;

namespace EmailApi.Queue;

/// <summary>
/// The checks the enqueue transaction makes before it stores a message: the account's usage
/// counters and the request's idempotency key, written once for both engines. Both are conditional
/// upserts (<c>INSERT … ON CONFLICT … DO UPDATE … WHERE</c>) inside the same transaction as the
/// message, so two concurrent requests can never both take the last unit of a quota, and two retries
/// with the same key can never both store a message. On PostgreSQL the upsert locks the conflicting
/// row and evaluates the condition on its latest committed version, so two nodes counting into the
/// same window take turns; a second node claiming the same key waits for the first's transaction and
/// then sees its key (or, if that rolled back, takes it).
/// </summary>
internal static class Admission
{
    // Counts the recipients into the window unless that would pass the limit; 0 rows changed = refused.
    public const string Count = """
        INSERT INTO account_usage (account_id, period, window_start, used) VALUES (@AccountId, @Period, @WindowStart, @N)
        ON CONFLICT (account_id, period, window_start) DO UPDATE SET used = account_usage.used + excluded.used
        WHERE @Limit IS NULL OR account_usage.used + excluded.used <= @Limit
        """;

    public const string Used = "SELECT used FROM account_usage WHERE account_id = @AccountId AND period = @Period AND window_start = @WindowStart";

    // An expired key is taken over by the new request, as if it had never been used.
    private const string Claim = """
        INSERT INTO idempotency_keys (account_id, key, request_hash, created_at, expires_at) VALUES (@AccountId, @Key, @Hash, @Now, @ExpiresAt)
        ON CONFLICT (account_id, key) DO UPDATE SET request_hash = excluded.request_hash, status_code = NULL, location = NULL, response = NULL,
            created_at = excluded.created_at, expires_at = excluded.expires_at
        WHERE idempotency_keys.expires_at <= @Now
        """;

    private const string Remember = """
        UPDATE idempotency_keys SET status_code = @StatusCode, location = @Location, response = @Body WHERE account_id = @AccountId AND key = @Key
        """;

    private static readonly LimitPeriod[] Periods = [LimitPeriod.Minute, LimitPeriod.Hour, LimitPeriod.Month];

    /// <summary>Null when the key is now this request's; otherwise the earlier request's answer.</summary>
    public static async Task<EnqueueOutcome.Duplicate?> ClaimAsync(DbConnection connection, DbTransaction tx, IdempotencyClaim claim, long now, CancellationToken ct)
    {
        var args = new { claim.AccountId, claim.Key, Hash = claim.RequestHash, Now = now, ExpiresAt = claim.ExpiresAt.ToUnixTimeMilliseconds() };
        if (await connection.ExecuteAsync(new CommandDefinition(Claim, args, tx, cancellationToken: ct)) == 1) return null;
        var row = await connection.QuerySingleAsync<ClaimRow>(new CommandDefinition(
            "SELECT request_hash AS Hash, status_code AS StatusCode, location AS Location, response AS Body FROM idempotency_keys WHERE account_id = @AccountId AND key = @Key",
            args, tx, cancellationToken: ct));
        return new EnqueueOutcome.Duplicate(row.Hash, new StoredResponse((int)(row.StatusCode ?? 500), row.Location, row.Body ?? ""));
    }

    public static Task RememberAsync(DbConnection connection, DbTransaction tx, IdempotencyClaim claim, StoredResponse response, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(Remember,
            new { claim.AccountId, claim.Key, StatusCode = (long)response.StatusCode, response.Location, response.Body }, tx, cancellationToken: ct));

    /// <summary>
    /// Counts the message's recipients into every window the account is limited in (and always into
    /// the month, so usage is known even without a quota). All or nothing: a refusal by the month
    /// undoes the minute and hour counts taken just before. <paramref name="usage"/> runs
    /// <see cref="Count"/> and <see cref="Used"/> the engine's way.
    /// </summary>
    public static async Task<EnqueueResult> CountAsync(DbTransaction tx, IUsageCommands usage, NewMessage message, DateTimeOffset now, CancellationToken ct)
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
            var window = new UsageCount(message.AccountId, period.ToDb(), period.WindowStart(now).ToUnixTimeMilliseconds(), n, limit);
            if ((limit is null || n <= limit) && await usage.ExecuteAsync(Count, window, ct) == 1)
                continue;

            if (savepoint is not null) await tx.RollbackAsync(savepoint, ct);
            var used = await usage.ScalarAsync(Used, window, ct) ?? 0;
            if (savepoint is not null) await tx.ReleaseAsync(savepoint, ct);
            return new EnqueueResult.LimitReached(period, limit!.Value, used, period.WindowEnd(now));
        }
        if (savepoint is not null) await tx.ReleaseAsync(savepoint, ct);
        return new EnqueueResult.Stored();
    }

    private sealed record ClaimRow(byte[] Hash, long? StatusCode, string? Location, string? Body);
}

/// <summary>One usage counter row and what to count into it: the parameters of <see cref="Admission.Count"/> and <see cref="Admission.Used"/>.</summary>
internal sealed record UsageCount(string AccountId, string Period, long WindowStart, long N, long? Limit);

/// <summary>
/// How an engine runs the usage statements inside its enqueue transaction: SQLite through the
/// prepared statements of its enqueue connection (the group commit's hot path), PostgreSQL through Dapper.
/// </summary>
internal interface IUsageCommands
{
    Task<int> ExecuteAsync(string sql, UsageCount window, CancellationToken ct);

    Task<long?> ScalarAsync(string sql, UsageCount window, CancellationToken ct);
}
