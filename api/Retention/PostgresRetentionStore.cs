using Dapper;
using EmailApi.Queue;
using EmailApi.Storage;

namespace EmailApi.Retention;

/// <summary>
/// <see cref="SqliteRetentionStore"/> on PostgreSQL. Every sender node runs the retention worker;
/// chunks are picked with <c>SKIP LOCKED</c>, so two nodes pruning at once take different messages
/// instead of queueing behind each other.
/// </summary>
public sealed class PostgresRetentionStore(PostgresDb db, TimeProvider clock) : IRetentionStore
{
    private const string PruneBodies = """
        UPDATE messages SET raw = NULL
        WHERE id IN (
            SELECT m.id FROM messages m
            WHERE m.raw IS NOT NULL AND m.created_at < @Before
              AND NOT EXISTS (SELECT 1 FROM recipients r WHERE r.message_id = m.id AND r.status IN ('queued', 'sending', 'deferred'))
            LIMIT @Chunk FOR UPDATE SKIP LOCKED)
        """;

    // Ids are time-ordered and never newer than their message's created_at: the id bound lets the
    // primary key find the candidates instead of a scan of every message.
    private const string SelectFinished = """
        SELECT m.id FROM messages m
        WHERE m.id < @BeforeId AND m.created_at < @Before
          AND NOT EXISTS (SELECT 1 FROM recipients r WHERE r.message_id = m.id AND r.status IN ('queued', 'sending', 'deferred'))
        LIMIT @Chunk FOR UPDATE SKIP LOCKED
        """;

    private const string DeleteFinished = """
        DELETE FROM webhook_deliveries WHERE message_id = ANY(@Ids);
        DELETE FROM events WHERE message_id = ANY(@Ids);
        DELETE FROM message_tags WHERE message_id = ANY(@Ids);
        DELETE FROM recipients WHERE message_id = ANY(@Ids);
        DELETE FROM messages WHERE id = ANY(@Ids);
        """;

    public async Task<int> PruneBodiesAsync(DateTimeOffset before, int chunk, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(PruneBodies, new { Before = before.ToUnixTimeMilliseconds(), Chunk = (long)chunk }, cancellationToken: ct));
    }

    public async Task<int> PruneStatusAsync(DateTimeOffset before, int chunk, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var ids = (await connection.QueryAsync<string>(new CommandDefinition(SelectFinished,
            new { BeforeId = MessageId.FirstTextAt(before), Before = before.ToUnixTimeMilliseconds(), Chunk = (long)chunk }, tx, cancellationToken: ct))).ToArray();
        if (ids.Length > 0) await connection.ExecuteAsync(new CommandDefinition(DeleteFinished, new { Ids = ids }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return ids.Length;
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
