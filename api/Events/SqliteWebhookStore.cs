using Dapper;
using EmailApi.Queue;
using EmailApi.Storage;

namespace EmailApi.Events;

public sealed class SqliteWebhookStore(SqliteDialect sql, TimeProvider clock) : SqlWebhookStore(sql, clock)
{
    // Events of accounts with live endpoints that subscribe to the event's type, past the cursor.
    private const string FanOut = """
        INSERT INTO webhook_deliveries (webhook_id, event_id, message_id, status, attempts, next_attempt_at, created_at, updated_at)
        SELECT w.id, e.id, e.message_id, 'pending', 0, @Now, @Now, @Now
        FROM events e
        JOIN messages m ON m.id = e.message_id
        JOIN webhooks w ON w.account_id = m.account_id AND w.disabled_at IS NULL AND w.deleted_at IS NULL
        WHERE e.id > @From AND e.id <= @To AND instr(',' || w.events || ',', ',' || e.type || ',') > 0
        ORDER BY e.id
        """;

    // Domain events of accounts with live endpoints that subscribe to the type; ordered per domain as message events are per message.
    private const string DomainFanOut = """
        INSERT INTO webhook_deliveries (webhook_id, event_id, kind, message_id, status, attempts, next_attempt_at, created_at, updated_at)
        SELECT w.id, e.id, 'domain', 'domain:' || e.domain_id, 'pending', 0, @Now, @Now, @Now
        FROM domain_events e
        JOIN webhooks w ON w.account_id = e.account_id AND w.disabled_at IS NULL AND w.deleted_at IS NULL
        WHERE e.id > @From AND e.id <= @To AND instr(',' || w.events || ',', ',' || e.type || ',') > 0
        ORDER BY e.id
        """;

    protected override string LeaseSql => """
        UPDATE webhook_deliveries SET lease_until = @Until
        WHERE id IN (
            SELECT d.id FROM webhook_deliveries d
            WHERE d.status = 'pending' AND d.next_attempt_at <= @Now AND (d.lease_until IS NULL OR d.lease_until <= @Now)
              AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p
                              WHERE p.webhook_id = d.webhook_id AND p.message_id = d.message_id AND p.status = 'pending' AND p.id < d.id)
            ORDER BY d.next_attempt_at, d.id LIMIT @Limit)
        RETURNING id
        """;

    public override async Task<int> FanOutAsync(int maxEvents, CancellationToken ct)
    {
        var now = NowMs;
        await using var connection = await OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var cursor = await connection.QuerySingleAsync<CursorRow>(new CommandDefinition(
            "SELECT last_event_id AS LastEventId, last_domain_event_id AS LastDomainEventId FROM webhook_cursor WHERE id = 1", transaction: tx, cancellationToken: ct));
        // Events are numbered in commit order: SQLite has one writer, so no smaller id can commit later.
        var messages = await FanOutAsync(connection, tx, "events", FanOut, cursor.LastEventId, maxEvents, now, ct);
        var domains = await FanOutAsync(connection, tx, "domain_events", DomainFanOut, cursor.LastDomainEventId, maxEvents, now, ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE webhook_cursor SET last_event_id = @Messages, last_domain_event_id = @Domains WHERE id = 1",
            new { Messages = cursor.LastEventId + messages, Domains = cursor.LastDomainEventId + domains }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        // The larger of the two, so the dispatcher comes back at once while either table has more.
        return (int)Math.Max(messages, domains);
    }

    /// <summary>Fans out the events of one table past <paramref name="from"/>; returns how far the cursor moves.</summary>
    private static async Task<long> FanOutAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction tx, string table, string sql,
        long from, int maxEvents, long now, CancellationToken ct)
    {
        var last = await connection.ExecuteScalarAsync<long?>(new CommandDefinition($"SELECT MAX(id) FROM {table}", transaction: tx, cancellationToken: ct)) ?? 0;
        var to = Math.Min(last, from + maxEvents);
        if (to <= from) return 0;
        await connection.ExecuteAsync(new CommandDefinition(sql, new { From = from, To = to, Now = now }, tx, cancellationToken: ct));
        return to - from;
    }

    private sealed record CursorRow(long LastEventId, long LastDomainEventId);
}
