using Dapper;
using EmailApi.Queue;
using EmailApi.Storage;

namespace EmailApi.Retention;

/// <summary>
/// <see cref="IRetentionStore"/> in SQL written once. Every sender node runs the retention worker; on
/// PostgreSQL chunks are picked with <c>SKIP LOCKED</c>, so two nodes pruning at once take different
/// messages instead of queueing behind each other.
/// </summary>
public sealed class SqlRetentionStore(SqlDialect sql, TimeProvider clock) : IRetentionStore
{
    // ix_messages_body_age (created_at WHERE raw IS NOT NULL) finds the candidates without a scan.
    private const string PruneBodiesFormat = """
        UPDATE messages SET raw = NULL
        WHERE id IN (
            SELECT m.id FROM messages m
            WHERE m.raw IS NOT NULL AND m.created_at < @Before
              AND NOT EXISTS (SELECT 1 FROM recipients r WHERE r.message_id = m.id AND r.status IN ('queued', 'sending', 'deferred'))
            LIMIT @Chunk {0})
        """;

    // Ids are time-ordered and never newer than their message's created_at, so the id bound lets the
    // primary key find the candidates instead of a scan of every message.
    internal const string FinishedCandidates = """
        SELECT m.id FROM messages m
        WHERE m.id < @BeforeId AND m.created_at < @Before
          AND NOT EXISTS (SELECT 1 FROM recipients r WHERE r.message_id = m.id AND r.status IN ('queued', 'sending', 'deferred'))
        LIMIT @Chunk
        """;

    private const string DeleteFinishedFormat = """
        DELETE FROM webhook_deliveries WHERE message_id {0};
        DELETE FROM events WHERE message_id {0};
        DELETE FROM message_tags WHERE message_id {0};
        DELETE FROM recipients WHERE message_id {0};
        DELETE FROM messages WHERE id {0};
        """;

    private readonly string _pruneBodies = string.Format(PruneBodiesFormat, sql.SkipLocked);
    private readonly string _selectFinished = $"{FinishedCandidates} {sql.SkipLocked}";
    private readonly string _deleteFinished = string.Format(DeleteFinishedFormat, sql.AnyOf("@Ids"));

    public async Task<int> PruneBodiesAsync(DateTimeOffset before, int chunk, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(_pruneBodies, new { Before = before.ToUnixTimeMilliseconds(), Chunk = (long)chunk }, cancellationToken: ct));
    }

    public async Task<int> PruneStatusAsync(DateTimeOffset before, int chunk, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var ids = (await connection.QueryAsync<string>(new CommandDefinition(_selectFinished,
            new { BeforeId = MessageId.FirstTextAt(before), Before = before.ToUnixTimeMilliseconds(), Chunk = (long)chunk }, tx, cancellationToken: ct))).ToArray();
        if (ids.Length > 0) await connection.ExecuteAsync(new CommandDefinition(_deleteFinished, new { Ids = ids }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return ids.Length;
    }

    public async Task<int> PruneHousekeepingAsync(DateTimeOffset deliveriesBefore, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await sql.OpenAsync(ct);
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
