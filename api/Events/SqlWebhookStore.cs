using Dapper;
using EmailApi.Queue;
using EmailApi.Storage;

namespace EmailApi.Events;

/// <summary>
/// Webhook endpoints and their outbox in SQL written once. Each engine adds only what it does in its
/// own way on the dispatcher's hot path: turning new events into deliveries (the fan-out: SQLite
/// numbers events in commit order, PostgreSQL's many writers need a transaction horizon) and the
/// lease statement (PostgreSQL's <c>FOR UPDATE SKIP LOCKED</c> lets every node lease at once).
/// Either way only the oldest pending delivery per endpoint and message is due, so events of one
/// message arrive in order.
/// </summary>
public abstract class SqlWebhookStore(SqlDialect sql, TimeProvider clock) : IWebhookStore
{
    private const string WebhookColumns = """
        id AS Id, account_id AS AccountId, url AS Url, events AS Events, created_at AS CreatedAt,
        failing_since AS FailingSince, disabled_at AS DisabledAt
        """;

    // The two details are read apart: a COALESCE of them has no declared type, and Microsoft.Data.Sqlite would
    // type a NULL first value as a blob (PostgreSQL reads either form).
    private readonly string _load = string.Format(LoadFormat, sql.AnyOf("@Ids"));

    private const string LoadFormat = """
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
        WHERE d.id {0} ORDER BY d.id
        """;

    public async Task<Webhook> CreateAsync(string accountId, string url, IReadOnlyList<string> events, string secret, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var webhook = new Webhook($"wh_{MonotonicUuid.Next(clock):N}", accountId, url, events, now, null, null);
        await using var connection = await sql.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO webhooks (id, account_id, url, events, secret, created_at) VALUES (@Id, @AccountId, @Url, @Events, @Secret, @CreatedAt)
            """, new { webhook.Id, AccountId = accountId, Url = url, Events = string.Join(",", events), Secret = secret, CreatedAt = now.ToUnixTimeMilliseconds() }, cancellationToken: ct));
        return webhook;
    }

    public async Task<IReadOnlyList<Webhook>> ListAsync(string accountId, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        var rows = await connection.QueryAsync<WebhookRow>(new CommandDefinition(
            $"SELECT {WebhookColumns} FROM webhooks WHERE account_id = @accountId AND deleted_at IS NULL ORDER BY created_at, id",
            new { accountId }, cancellationToken: ct));
        return rows.Select(r => r.ToWebhook()).ToArray();
    }

    public async Task<IReadOnlyList<WebhookAttempt>> RecentAttemptsAsync(string accountId, int limit, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        return await WebhookAttempts.RecentAsync(connection, accountId, limit, ct);
    }

    public async Task<bool> DeleteAsync(string accountId, string id, CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await sql.OpenAsync(ct);
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

    protected Task<System.Data.Common.DbConnection> OpenAsync(CancellationToken ct) => sql.OpenAsync(ct);

    protected long NowMs => clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Turns events past the engine's cursor into deliveries, in one transaction; returns how many events it took from the fuller table.</summary>
    public abstract Task<int> FanOutAsync(int maxEvents, CancellationToken ct);

    /// <summary>
    /// Marks up to <c>@Limit</c> due deliveries (<c>@Now</c>) leased until <c>@Until</c> and returns their ids: only the
    /// oldest pending delivery per endpoint and message, and none another sender holds.
    /// </summary>
    protected abstract string LeaseSql { get; }

    public async Task<IReadOnlyList<WebhookDelivery>> LeaseAsync(int limit, TimeSpan leaseFor, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await sql.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var ids = (await connection.QueryAsync<long>(new CommandDefinition(LeaseSql,
            new { Now = now.ToUnixTimeMilliseconds(), Until = (now + leaseFor).ToUnixTimeMilliseconds(), Limit = (long)limit }, tx, cancellationToken: ct))).ToArray();
        if (ids.Length == 0)
        {
            await tx.CommitAsync(ct);
            return [];
        }
        var rows = await connection.QueryAsync<DeliveryRow>(new CommandDefinition(_load, new { Ids = ids }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return rows.Select(r => new WebhookDelivery(r.Id, r.WebhookId, r.Url, r.Secret, (int)r.Attempts, r.EventId, r.Type, r.MessageId, r.Recipient,
            r.Detail ?? r.DomainDetail, r.Mx, DateTimeOffset.FromUnixTimeMilliseconds(r.At), r.Source, r.Tags, r.Metadata, r.DomainId, r.Domain, r.Report,
            (int?)r.ReplyCode, r.EnhancedStatus)).ToArray();
    }

    public async Task RecordSuccessAsync(WebhookDelivery delivery, CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await sql.OpenAsync(ct);
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
        await using var connection = await sql.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE webhook_deliveries SET status = CASE WHEN CAST(@RetryAt AS BIGINT) IS NULL THEN 'failed' ELSE 'pending' END, attempts = attempts + 1,
                next_attempt_at = COALESCE(CAST(@RetryAt AS BIGINT), next_attempt_at), lease_until = NULL, last_error = @error, updated_at = @now
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
