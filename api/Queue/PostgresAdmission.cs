using Dapper;
using Npgsql;

namespace EmailApi.Queue;

/// <summary>
/// PostgreSQL's part of admission (<see cref="Admission"/> holds the rest, for both engines): the
/// usage statements run through Dapper in the enqueue transaction, and the batched enqueue's
/// shortcut for accounts without limits, which one array statement counts per batch instead of one
/// statement per message (a hot path SQLite's prepared per-row statements do not need).
/// </summary>
internal sealed class PostgresAdmission(NpgsqlConnection connection, NpgsqlTransaction tx) : IUsageCommands
{
    // Messages of accounts without any limit cannot be refused: their counts are summed per account
    // and added with one statement per batch instead of one per message.
    private const string CountUnlimited = """
        INSERT INTO account_usage (account_id, period, window_start, used)
        SELECT * FROM unnest(@AccountIds::text[], @Periods::text[], @WindowStarts::bigint[], @Ns::bigint[])
        ON CONFLICT (account_id, period, window_start) DO UPDATE SET used = account_usage.used + excluded.used
        """;

    public Task<int> ExecuteAsync(string sql, UsageCount window, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(sql, window, tx, cancellationToken: ct));

    public Task<long?> ScalarAsync(string sql, UsageCount window, CancellationToken ct) =>
        connection.ExecuteScalarAsync<long?>(new CommandDefinition(sql, window, tx, cancellationToken: ct));

    /// <summary>True when the message is counted (into the month) but no window can refuse it.</summary>
    public static bool IsUnlimited(NewMessage message) =>
        message.Limits is { MonthlyQuota: null, PerHour: null, PerMinute: null };

    /// <summary>Adds the month counts of unlimited messages, summed per account, in account order.</summary>
    public async Task CountUnlimitedAsync(IReadOnlyList<NewMessage> messages, DateTimeOffset now, CancellationToken ct)
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
}
