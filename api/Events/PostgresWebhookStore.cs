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
public sealed class PostgresWebhookStore(PostgresDb db, TimeProvider clock) : IWebhookStore
{
    private const string WebhookColumns = """
        id AS Id, account_id AS AccountId, url AS Url, events AS Events, created_at AS CreatedAt,
        failing_since AS FailingSince, disabled_at AS DisabledAt
        """;

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

    private const string Lease = """
        WITH due AS (
            SELECT d.id FROM webhook_deliveries d
            WHERE d.status = 'pending' AND d.next_attempt_at <= @Now AND (d.lease_until IS NULL OR d.lease_until <= @Now)
              AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p
                              WHERE p.webhook_id = d.webhook_id AND p.message_id = d.message_id AND p.status = 'pending' AND p.id < d.id)
            ORDER BY d.next_attempt_at, d.id LIMIT @Limit FOR UPDATE SKIP LOCKED)
        UPDATE webhook_deliveries w SET lease_until = @Until FROM due WHERE w.id = due.id
        RETURNING w.id
        """;

    private const string Load = """
        SELECT d.id AS Id, w.id AS WebhookId, w.url AS Url, w.secret AS Secret, d.attempts AS Attempts, d.event_id AS EventId,
               COALESCE(e.type, de.type) AS Type, COALESCE(e.message_id, '') AS MessageId, r.address AS Recipient,
               COALESCE(e.detail, de.detail) AS Detail, e.reply_code AS ReplyCode, e.enhanced_status AS EnhancedStatus, e.mx AS Mx, COALESCE(e.created_at, de.created_at) AS At,
               m.source AS Source, m.tags AS Tags, m.metadata AS Metadata, de.domain_id AS DomainId, de.domain AS Domain, e.report AS Report
        FROM webhook_deliveries d
        JOIN webhooks w ON w.id = d.webhook_id
        LEFT JOIN events e ON d.kind = 'message' AND e.id = d.event_id
        LEFT JOIN messages m ON m.id = e.message_id
        LEFT JOIN recipients r ON r.id = e.recipient_id
        LEFT JOIN domain_events de ON d.kind = 'domain' AND de.id = d.event_id
        WHERE d.id = ANY(@Ids) ORDER BY d.id
        """;

    public async Task<Webhook> CreateAsync(string accountId, string url, IReadOnlyList<string> events, string secret, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var webhook = new Webhook($"wh_{MonotonicUuid.Next(clock):N}", accountId, url, events, now, null, null);
        await using var connection = await db.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO webhooks (id, account_id, url, events, secret, created_at) VALUES (@Id, @AccountId, @Url, @Events, @Secret, @CreatedAt)
            """, new { webhook.Id, AccountId = accountId, Url = url, Events = string.Join(",", events), Secret = secret, CreatedAt = now.ToUnixTimeMilliseconds() }, cancellationToken: ct));
        return webhook;
    }

    public async Task<IReadOnlyList<Webhook>> ListAsync(string accountId, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var rows = await connection.QueryAsync<WebhookRow>(new CommandDefinition(
            $"SELECT {WebhookColumns} FROM webhooks WHERE account_id = @accountId AND deleted_at IS NULL ORDER BY created_at, id",
            new { accountId }, cancellationToken: ct));
        return rows.Select(r => r.ToWebhook()).ToArray();
    }

    public async Task<IReadOnlyList<WebhookAttempt>> RecentAttemptsAsync(string accountId, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await WebhookAttempts.RecentAsync(connection, accountId, limit, ct);
    }

    public async Task<bool> DeleteAsync(string accountId, string id, CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await db.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // Kept as a tombstone: past deliveries still refer to it.
        var deleted = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE webhooks SET deleted_at = @now WHERE id = @id AND account_id = @accountId AND deleted_at IS NULL",
            new { id, accountId, now }, tx, cancellationToken: ct));
        if (deleted == 1)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE webhook_deliveries SET status = 'failed', last_error = 'endpoint deleted', updated_at = @now WHERE webhook_id = @id AND status = 'pending'",
                new { id, now }, tx, cancellationToken: ct));
        }
        await tx.CommitAsync(ct);
        return deleted == 1;
    }

    public async Task<int> FanOutAsync(int maxEvents, CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await db.OpenAsync(ct);
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

    public async Task<IReadOnlyList<WebhookDelivery>> LeaseAsync(int limit, TimeSpan leaseFor, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var ids = (await connection.QueryAsync<long>(new CommandDefinition(Lease,
            new { Now = now.ToUnixTimeMilliseconds(), Until = (now + leaseFor).ToUnixTimeMilliseconds(), Limit = (long)limit }, tx, cancellationToken: ct))).ToArray();
        if (ids.Length == 0)
        {
            await tx.CommitAsync(ct);
            return [];
        }
        var rows = await connection.QueryAsync<DeliveryRow>(new CommandDefinition(Load, new { Ids = ids }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return rows.Select(r => new WebhookDelivery(r.Id, r.WebhookId, r.Url, r.Secret, (int)r.Attempts, r.EventId, r.Type, r.MessageId, r.Recipient,
            r.Detail, r.Mx, DateTimeOffset.FromUnixTimeMilliseconds(r.At), r.Source, r.Tags, r.Metadata, r.DomainId, r.Domain, r.Report,
            (int?)r.ReplyCode, r.EnhancedStatus)).ToArray();
    }

    public async Task RecordSuccessAsync(WebhookDelivery delivery, CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await db.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, lease_until = NULL, last_error = NULL, updated_at = @now WHERE id = @Id;
            UPDATE webhooks SET failing_since = NULL WHERE id = @WebhookId;
            """, new { delivery.Id, delivery.WebhookId, now }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
    }

    public async Task RecordFailureAsync(WebhookDelivery delivery, string error, DateTimeOffset? retryAt, DateTimeOffset disableFailingSince, CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await db.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE webhook_deliveries SET status = CASE WHEN @RetryAt::bigint IS NULL THEN 'failed' ELSE 'pending' END, attempts = attempts + 1,
                next_attempt_at = COALESCE(@RetryAt::bigint, next_attempt_at), lease_until = NULL, last_error = @error, updated_at = @now
            WHERE id = @Id;
            UPDATE webhooks SET failing_since = COALESCE(failing_since, @now) WHERE id = @WebhookId;
            """, new { delivery.Id, delivery.WebhookId, RetryAt = retryAt?.ToUnixTimeMilliseconds(), error, now }, tx, cancellationToken: ct));
        var disabled = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE webhooks SET disabled_at = @now WHERE id = @WebhookId AND disabled_at IS NULL AND failing_since <= @since",
            new { delivery.WebhookId, now, since = disableFailingSince.ToUnixTimeMilliseconds() }, tx, cancellationToken: ct));
        if (disabled == 1)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE webhook_deliveries SET status = 'failed', last_error = 'endpoint disabled after failing too long', updated_at = @now WHERE webhook_id = @WebhookId AND status = 'pending'",
                new { delivery.WebhookId, now }, tx, cancellationToken: ct));
        }
        await tx.CommitAsync(ct);
    }

    private sealed record CursorRow(long LastTx, long LastId, long LastDomainTx, long LastDomainId);

    private sealed record BatchRow(long Count, long? LastTx, long? LastId);

    private sealed record WebhookRow(string Id, string AccountId, string Url, string Events, long CreatedAt, long? FailingSince, long? DisabledAt)
    {
        public Webhook ToWebhook() => new(Id, AccountId, Url, Events.Split(',', StringSplitOptions.RemoveEmptyEntries), DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt),
            FailingSince is null ? null : DateTimeOffset.FromUnixTimeMilliseconds(FailingSince.Value),
            DisabledAt is null ? null : DateTimeOffset.FromUnixTimeMilliseconds(DisabledAt.Value));
    }

    private sealed record DeliveryRow(
        long Id, string WebhookId, string Url, string Secret, long Attempts, long EventId, string Type, string MessageId, string? Recipient,
        string? Detail, long? ReplyCode, string? EnhancedStatus, string? Mx, long At, string? Source, string? Tags, string? Metadata, string? DomainId, string? Domain, string? Report);
}
