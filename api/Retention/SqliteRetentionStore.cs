using Dapper;
using EmailApi.Queue;
using EmailApi.Storage;

namespace EmailApi.Retention;

public sealed class SqliteRetentionStore(SqliteDb db, TimeProvider clock) : IRetentionStore
{
    // ix_messages_body_age (created_at WHERE raw IS NOT NULL) finds the candidates without a scan.
    private const string PruneBodies = """
        UPDATE messages SET raw = NULL
        WHERE id IN (
            SELECT m.id FROM messages m
            WHERE m.raw IS NOT NULL AND m.created_at < @Before
              AND NOT EXISTS (SELECT 1 FROM recipients r WHERE r.message_id = m.id AND r.status IN ('queued', 'sending', 'deferred'))
            LIMIT @Chunk)
        """;

    // Ids are time-ordered and never newer than their message's created_at, so the id bound lets the
    // primary key find the candidates instead of a scan of every message.
    internal const string FinishedCandidates = """
        SELECT m.id FROM messages m
        WHERE m.id < @BeforeId AND m.created_at < @Before
          AND NOT EXISTS (SELECT 1 FROM recipients r WHERE r.message_id = m.id AND r.status IN ('queued', 'sending', 'deferred'))
        LIMIT @Chunk
        """;

    private const string SelectFinished = """
        CREATE TEMP TABLE IF NOT EXISTS prune_ids (id TEXT PRIMARY KEY);
        DELETE FROM prune_ids;
        INSERT INTO prune_ids (id)
        """ + "\n" + FinishedCandidates + ";";

    private const string DeleteFinished = """
        DELETE FROM webhook_deliveries WHERE message_id IN (SELECT id FROM prune_ids);
        DELETE FROM events WHERE message_id IN (SELECT id FROM prune_ids);
        DELETE FROM message_tags WHERE message_id IN (SELECT id FROM prune_ids);
        DELETE FROM recipients WHERE message_id IN (SELECT id FROM prune_ids);
        DELETE FROM messages WHERE id IN (SELECT id FROM prune_ids);
        """;

    public async Task<int> PruneBodiesAsync(DateTimeOffset before, int chunk, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(PruneBodies, new { Before = before.ToUnixTimeMilliseconds(), Chunk = chunk }, cancellationToken: ct));
    }

    public async Task<int> PruneStatusAsync(DateTimeOffset before, int chunk, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        await using var tx = connection.BeginTransaction();
        await connection.ExecuteAsync(new CommandDefinition(SelectFinished, new { BeforeId = MessageId.FirstTextAt(before), Before = before.ToUnixTimeMilliseconds(), Chunk = chunk }, tx, cancellationToken: ct));
        var count = await connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT COUNT(*) FROM prune_ids", transaction: tx, cancellationToken: ct));
        if (count > 0) await connection.ExecuteAsync(new CommandDefinition(DeleteFinished, transaction: tx, cancellationToken: ct));
        tx.Commit();
        return count;
    }

    public async Task<int> PruneHousekeepingAsync(DateTimeOffset deliveriesBefore, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("""
            DELETE FROM idempotency_keys WHERE expires_at <= @Now;
            DELETE FROM account_usage WHERE period <> 'month' AND window_start < @Windows;
            DELETE FROM webhook_deliveries WHERE status <> 'pending' AND created_at < @Deliveries;
            """, new
        {
            Now = now.ToUnixTimeMilliseconds(),
            Windows = (now - TimeSpan.FromDays(2)).ToUnixTimeMilliseconds(),
            Deliveries = deliveriesBefore.ToUnixTimeMilliseconds(),
        }, cancellationToken: ct));
    }
}
