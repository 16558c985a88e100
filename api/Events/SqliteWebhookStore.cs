using Dapper;
using EmailApi.Queue;
using EmailApi.Storage;

namespace EmailApi.Events;

public sealed class SqliteWebhookStore(SqliteDb db, TimeProvider clock) : IWebhookStore
{
    private const string WebhookColumns = """
        id AS Id, account_id AS AccountId, url AS Url, events AS Events, created_at AS CreatedAt,
        failing_since AS FailingSince, disabled_at AS DisabledAt
        """;

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

    private const string Lease = """
        UPDATE webhook_deliveries SET lease_until = @Until
        WHERE id IN (
            SELECT d.id FROM webhook_deliveries d
            WHERE d.status = 'pending' AND d.next_attempt_at <= @Now AND (d.lease_until IS NULL OR d.lease_until <= @Now)
              AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p
                              WHERE p.webhook_id = d.webhook_id AND p.message_id = d.message_id AND p.status = 'pending' AND p.id < d.id)
            ORDER BY d.next_attempt_at, d.id LIMIT @Limit)
        RETURNING id
        """;

    // The two details are read apart: a COALESCE of them has no declared type, and Microsoft.Data.Sqlite would
    // type a NULL first value as a blob.
    private const string Load = """
        SELECT d.id AS Id, w.id AS WebhookId, w.url AS Url, w.secret AS Secret, d.attempts AS Attempts, d.event_id AS EventId,
               COALESCE(e.type, de.type) AS Type, COALESCE(e.message_id, '') AS MessageId, r.address AS Recipient,
               e.detail AS Detail, e.reply_code AS ReplyCode, e.enhanced_status AS EnhancedStatus, e.mx AS Mx, COALESCE(e.created_at, de.created_at) AS At,
               m.source AS Source, m.tags AS Tags, m.metadata AS Metadata, de.domain_id AS DomainId, de.domain AS Domain, de.detail AS DomainDetail, e.report AS Report
        FROM webhook_deliveries d
        JOIN webhooks w ON w.id = d.webhook_id
        LEFT JOIN events e ON d.kind = 'message' AND e.id = d.event_id
        LEFT JOIN messages m ON m.id = e.message_id
        LEFT JOIN recipients r ON r.id = e.recipient_id
        LEFT JOIN domain_events de ON d.kind = 'domain' AND de.id = d.event_id
        WHERE d.id IN @Ids ORDER BY d.id
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
        await using var tx = connection.BeginTransaction();
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
        tx.Commit();
        return deleted == 1;
    }

    public async Task<int> FanOutAsync(int maxEvents, CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await db.OpenAsync(ct);
        await using var tx = connection.BeginTransaction();
        var cursor = await connection.QuerySingleAsync<CursorRow>(new CommandDefinition(
            "SELECT last_event_id AS LastEventId, last_domain_event_id AS LastDomainEventId FROM webhook_cursor WHERE id = 1", transaction: tx, cancellationToken: ct));
        // Events are numbered in commit order: SQLite has one writer, so no smaller id can commit later.
        var messages = await FanOutAsync(connection, tx, "events", FanOut, cursor.LastEventId, maxEvents, now, ct);
        var domains = await FanOutAsync(connection, tx, "domain_events", DomainFanOut, cursor.LastDomainEventId, maxEvents, now, ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE webhook_cursor SET last_event_id = @Messages, last_domain_event_id = @Domains WHERE id = 1",
            new { Messages = cursor.LastEventId + messages, Domains = cursor.LastDomainEventId + domains }, tx, cancellationToken: ct));
        tx.Commit();
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

    public async Task<IReadOnlyList<WebhookDelivery>> LeaseAsync(int limit, TimeSpan leaseFor, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenAsync(ct);
        await using var tx = connection.BeginTransaction();
        var ids = (await connection.QueryAsync<long>(new CommandDefinition(Lease,
            new { Now = now.ToUnixTimeMilliseconds(), Until = (now + leaseFor).ToUnixTimeMilliseconds(), Limit = limit }, tx, cancellationToken: ct))).AsList();
        if (ids.Count == 0)
        {
            tx.Commit();
            return [];
        }
        var rows = await connection.QueryAsync<DeliveryRow>(new CommandDefinition(Load, new { Ids = ids }, tx, cancellationToken: ct));
        tx.Commit();
        return rows.Select(r => new WebhookDelivery(r.Id, r.WebhookId, r.Url, r.Secret, (int)r.Attempts, r.EventId, r.Type, r.MessageId, r.Recipient,
            r.Detail ?? r.DomainDetail, r.Mx, DateTimeOffset.FromUnixTimeMilliseconds(r.At), r.Source, r.Tags, r.Metadata, r.DomainId, r.Domain, r.Report,
            (int?)r.ReplyCode, r.EnhancedStatus)).ToArray();
    }

    public async Task RecordSuccessAsync(WebhookDelivery delivery, CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await db.OpenAsync(ct);
        await using var tx = connection.BeginTransaction();
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, lease_until = NULL, last_error = NULL, updated_at = @now WHERE id = @Id;
            UPDATE webhooks SET failing_since = NULL WHERE id = @WebhookId;
            """, new { delivery.Id, delivery.WebhookId, now }, tx, cancellationToken: ct));
        tx.Commit();
    }

    public async Task RecordFailureAsync(WebhookDelivery delivery, string error, DateTimeOffset? retryAt, DateTimeOffset disableFailingSince, CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await db.OpenAsync(ct);
        await using var tx = connection.BeginTransaction();
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE webhook_deliveries SET status = CASE WHEN @RetryAt IS NULL THEN 'failed' ELSE 'pending' END, attempts = attempts + 1,
                next_attempt_at = COALESCE(@RetryAt, next_attempt_at), lease_until = NULL, last_error = @error, updated_at = @now
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
        tx.Commit();
    }

    private sealed record CursorRow(long LastEventId, long LastDomainEventId);

    private sealed record WebhookRow(string Id, string AccountId, string Url, string Events, long CreatedAt, long? FailingSince, long? DisabledAt)
    {
        public Webhook ToWebhook() => new(Id, AccountId, Url, Events.Split(',', StringSplitOptions.RemoveEmptyEntries), DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt),
            FailingSince is null ? null : DateTimeOffset.FromUnixTimeMilliseconds(FailingSince.Value),
            DisabledAt is null ? null : DateTimeOffset.FromUnixTimeMilliseconds(DisabledAt.Value));
    }

    private sealed record DeliveryRow(
        long Id, string WebhookId, string Url, string Secret, long Attempts, long EventId, string Type, string MessageId, string? Recipient,
        string? Detail, long? ReplyCode, string? EnhancedStatus, string? Mx, long At, string? Source, string? Tags, string? Metadata, string? DomainId, string? Domain, string? DomainDetail, string? Report);
}
