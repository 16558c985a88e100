using EmailApi.Storage;

namespace EmailApi.Queue;

/// <summary>The message log on PostgreSQL (<see cref="MessageLogQueries"/>): the same queries and indexes as on SQLite.</summary>
public sealed class PostgresMessageLog(PostgresDb db, TimeProvider clock) : IMessageLog
{
    public async Task<IReadOnlyList<MessageSummary>> ListAsync(string accountId, MessageFilter filter, MessageId? before, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await MessageLogQueries.ListAsync(connection, MessageLogDialect.Postgres, accountId, filter, before, limit, ct);
    }

    public async Task<CancelOutcome> CancelAsync(string accountId, MessageId id, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await MessageLogQueries.CancelAsync(connection, accountId, id, clock.GetUtcNow(), ct);
    }
}
