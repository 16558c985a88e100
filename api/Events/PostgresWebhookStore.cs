using Dapper;
using EmailApi.Queue;
using EmailApi.Storage;

namespace EmailApi.Events;

/// <summary>
/// Webhook endpoints and their outbox on PostgreSQL, shared by every sender node.
/// <para>
/// Fan-out: on SQLite event ids are committed in order, so a cursor on the id is enough. Here many
/// nodes write events at once and an identity value taken early may commit after a larger one, so
/// a cursor on the id could step past an event still in flight and lose it. Each event row carries
/// the id of the transaction that wrote it (<c>tx</c>); the fan-out only takes events whose
/// transaction is older than the oldest one still running (<c>pg_snapshot_xmin</c>), all of which
/// have finished and are visible, in (<c>tx</c>, <c>id</c>) order, and keeps that pair as its cursor.
/// A transaction that writes later always gets a larger id than that horizon, so nothing can appear
/// behind the cursor. The cursor row is locked for the fan-out, so two nodes take turns and each
/// event becomes exactly one delivery per endpoint.
/// </para>
/// <para>
/// Leasing: <c>FOR UPDATE SKIP LOCKED</c>, as for recipients, plus the SQLite rule that only the
/// oldest pending delivery per endpoint and message is due, so order per message holds across nodes.
/// </para>
/// </summary>
public sealed class PostgresWebhookStore(PostgresDialect sql, TimeProvider clock) : SqlWebhookStore(sql, clock)
{
    private const string FanOut = """
        WITH batch AS (
            SELECT e.id, e.tx, e.message_id, e.type FROM events e
            WHERE e.tx < pg_snapshot_xmin(pg_current_snapshot()) AND (e.tx, e.id) > (@LastTx::text::xid8, @LastId)
            ORDER BY e.tx, e.id LIMIT @Max),
        delivered AS (
            INSERT INTO webhook_deliveries (webhook_id, event_id, message_id, status, attempts, next_attempt_at, created_at, updated_at)
            SELECT w.id, b.id, b.message_id, 'pending', 0, @Now, @Now, @Now
            FROM batch b
            JOIN messages m ON m.id = b.message_id
            JOIN webhooks w ON w.account_id = m.account_id AND w.disabled_at IS NULL AND w.deleted_at IS NULL
            WHERE position(',' || b.type || ',' IN ',' || w.events || ',') > 0
            ORDER BY b.tx, b.id)
        SELECT (SELECT COUNT(*) FROM batch) AS Count,
               (SELECT tx::text::bigint FROM batch ORDER BY tx DESC, id DESC LIMIT 1) AS LastTx,
               (SELECT id FROM batch ORDER BY tx DESC, id DESC LIMIT 1) AS LastId
        """;

    // The same horizon rule for domain events (domain_events.tx), with a cursor of their own; ordered per domain.
    private const string DomainFanOut = """
        WITH batch AS (
            SELECT e.id, e.tx, e.account_id, e.domain_id, e.type FROM domain_events e
            WHERE e.tx < pg_snapshot_xmin(pg_current_snapshot()) AND (e.tx, e.id) > (@LastTx::text::xid8, @LastId)
            ORDER BY e.tx, e.id LIMIT @Max),
        delivered AS (
            INSERT INTO webhook_deliveries (webhook_id, event_id, kind, message_id, status, attempts, next_attempt_at, created_at, updated_at)
            SELECT w.id, b.id, 'domain', 'domain:' || b.domain_id, 'pending', 0, @Now, @Now, @Now
            FROM batch b
            JOIN webhooks w ON w.account_id = b.account_id AND w.disabled_at IS NULL AND w.deleted_at IS NULL
            WHERE position(',' || b.type || ',' IN ',' || w.events || ',') > 0
            ORDER BY b.tx, b.id)
        SELECT (SELECT COUNT(*) FROM batch) AS Count,
               (SELECT tx::text::bigint FROM batch ORDER BY tx DESC, id DESC LIMIT 1) AS LastTx,
               (SELECT id FROM batch ORDER BY tx DESC, id DESC LIMIT 1) AS LastId
        """;

    protected override string LeaseSql => """
        WITH due AS (
            SELECT d.id FROM webhook_deliveries d
            WHERE d.status = 'pending' AND d.next_attempt_at <= @Now AND (d.lease_until IS NULL OR d.lease_until <= @Now)
              AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p
                              WHERE p.webhook_id = d.webhook_id AND p.message_id = d.message_id AND p.status = 'pending' AND p.id < d.id)
            ORDER BY d.next_attempt_at, d.id LIMIT @Limit FOR UPDATE SKIP LOCKED)
        UPDATE webhook_deliveries w SET lease_until = @Until FROM due WHERE w.id = due.id
        RETURNING w.id
        """;

    public override async Task<int> FanOutAsync(int maxEvents, CancellationToken ct)
    {
        var now = NowMs;
        await using var connection = await OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // The lock makes other nodes' fan-outs wait here and then read the cursor this one leaves.
        var cursor = await connection.QuerySingleAsync<CursorRow>(new CommandDefinition("""
            SELECT last_tx::text::bigint AS LastTx, last_event_id AS LastId, last_domain_tx::text::bigint AS LastDomainTx, last_domain_event_id AS LastDomainId
            FROM webhook_cursor WHERE id = 1 FOR UPDATE
            """, transaction: tx, cancellationToken: ct));
        var batch = await connection.QuerySingleAsync<BatchRow>(new CommandDefinition(FanOut,
            new { cursor.LastTx, cursor.LastId, Max = (long)maxEvents, Now = now }, tx, cancellationToken: ct));
        if (batch.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE webhook_cursor SET last_tx = @LastTx::text::xid8, last_event_id = @LastId WHERE id = 1",
                new { batch.LastTx, batch.LastId }, tx, cancellationToken: ct));
        }
        var domains = await connection.QuerySingleAsync<BatchRow>(new CommandDefinition(DomainFanOut,
            new { LastTx = cursor.LastDomainTx, LastId = cursor.LastDomainId, Max = (long)maxEvents, Now = now }, tx, cancellationToken: ct));
        if (domains.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE webhook_cursor SET last_domain_tx = @LastTx::text::xid8, last_domain_event_id = @LastId WHERE id = 1",
                new { domains.LastTx, domains.LastId }, tx, cancellationToken: ct));
        }
        await tx.CommitAsync(ct);
        // The larger of the two, so the dispatcher comes back at once while either table has more.
        return (int)Math.Max(batch.Count, domains.Count);
    }

    private sealed record CursorRow(long LastTx, long LastId, long LastDomainTx, long LastDomainId);

    private sealed record BatchRow(long Count, long? LastTx, long? LastId);
}
