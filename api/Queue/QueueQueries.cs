using System.Data.Common;
using Dapper;

namespace EmailApi.Queue;

/// <summary>
/// The queue's statements and row shapes that SQLite and PostgreSQL share word for word (a filter
/// that may be NULL is cast to text, so PostgreSQL can type the parameter); each store opens the
/// connection and calls these. What differs between the engines (leasing, enqueueing) stays in them.
/// </summary>
internal static class QueueQueries
{
    /// <summary>
    /// How many of the earliest due retries a lease of <paramref name="limit"/> looks at: enough to
    /// step past the ones of a few busy destinations, few enough that a queue of millions of
    /// deferred recipients costs each lease a bounded read.
    /// </summary>
    public static int RetryWindow(int limit) => Math.Max(limit * 10, 1000);

    public static async Task<IReadOnlyDictionary<RecipientStatus, long>> CountLiveAsync(DbConnection connection, CancellationToken ct)
    {
        // Each count walks one of the partial indexes, never the whole table.
        var rows = await connection.QueryAsync<(string Status, long Count)>(new CommandDefinition("""
            SELECT 'queued', COUNT(*) FROM recipients WHERE status = 'queued'
            UNION ALL SELECT 'deferred', COUNT(*) FROM recipients WHERE status = 'deferred'
            UNION ALL SELECT 'sending', COUNT(*) FROM recipients WHERE status = 'sending'
            """, cancellationToken: ct));
        return rows.ToDictionary(r => RecipientStatusNames.FromDb(r.Status), r => r.Count);
    }

    /// <summary>When the longest-waiting work became due: the earliest retry time, or the earliest lease end (a lease that runs out makes its recipients due again).</summary>
    public static async Task<DateTimeOffset?> EarliestDueAsync(DbConnection connection, CancellationToken ct)
    {
        // Each MIN reads the first entry of a partial index.
        var ms = await connection.ExecuteScalarAsync<long?>(new CommandDefinition("""
            SELECT MIN(t) FROM (
                SELECT MIN(next_attempt_at) AS t FROM recipients WHERE status = 'queued'
                UNION ALL SELECT MIN(next_attempt_at) FROM recipients WHERE status = 'deferred'
                UNION ALL SELECT MIN(lease_until) FROM recipients WHERE status = 'sending') AS due
            """, cancellationToken: ct));
        return ms is { } value ? DateTimeOffset.FromUnixTimeMilliseconds(value) : null;
    }

    public static async Task<bool> PingAsync(DbConnection connection, CancellationToken ct) =>
        await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM schema_version", cancellationToken: ct)) > 0;

    public static async Task<IReadOnlyList<Suppression>> ListSuppressionsAsync(DbConnection connection, string accountId, string? after, int limit, CancellationToken ct)
    {
        var rows = await connection.QueryAsync<SuppressionRow>(new CommandDefinition("""
            SELECT address AS Address, reason AS Reason, source AS Source, created_at AS CreatedAt FROM suppressions
            WHERE account_id = @accountId AND (CAST(@after AS TEXT) IS NULL OR address > @after) ORDER BY address LIMIT @limit
            """, new { accountId, after, limit = (long)limit }, cancellationToken: ct));
        return rows.Select(r => new Suppression(r.Address, r.Reason, r.Source, DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt))).ToArray();
    }

    public static async Task<bool> AddSuppressionAsync(DbConnection connection, string accountId, string address, string reason, DateTimeOffset now, CancellationToken ct) =>
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO suppressions (account_id, address, reason, source, created_at) VALUES (@accountId, @address, @reason, 'manual', @now)
            ON CONFLICT (account_id, address) DO NOTHING
            """, new { accountId, address, reason, now = now.ToUnixTimeMilliseconds() }, cancellationToken: ct)) == 1;

    public static async Task<SentRecipient?> FindRecipientAsync(DbConnection connection, MessageId messageId, long recipientId, CancellationToken ct)
    {
        var row = await connection.QuerySingleOrDefaultAsync<(string AccountId, string Address, string Status)?>(new CommandDefinition("""
            SELECT m.account_id, r.address, r.status FROM recipients r JOIN messages m ON m.id = r.message_id
            WHERE r.id = @recipientId AND r.message_id = @messageId
            """, new { recipientId, messageId = messageId.ToString() }, cancellationToken: ct));
        return row is { } r ? new SentRecipient(messageId, recipientId, r.AccountId, r.Address, RecipientStatusNames.FromDb(r.Status)) : null;
    }

    /// <summary>
    /// One inbound report's effect on one recipient, inside the caller's transaction. The status changes
    /// only from <c>delivered</c>, or from <c>sending</c> (the report overtook the sender's own record,
    /// which then finds its lease gone and changes nothing): a recipient already bounced, complained or
    /// still waiting keeps its state, and a repeated report logs no second event.
    /// </summary>
    public static async Task<FeedbackApplied> ApplyFeedbackAsync(DbConnection connection, DbTransaction tx, FeedbackChange change, CancellationToken ct)
    {
        var now = change.At.ToUnixTimeMilliseconds();
        var r = change.Recipient;
        var changed = false;
        if (change.Status is { } status)
        {
            changed = await connection.ExecuteAsync(new CommandDefinition("""
                UPDATE recipients SET status = @Status, report_id = @ReportId, last_response = @Response, next_attempt_at = NULL,
                    lease_until = NULL, lease_token = NULL, updated_at = @Now
                WHERE id = @RecipientId AND message_id = @MessageId AND status IN ('delivered', 'sending')
                """, new { Status = status.ToDb(), change.ReportId, change.Response, Now = now, r.RecipientId, MessageId = r.MessageId.ToString() },
                tx, cancellationToken: ct)) == 1;
            if (changed)
                await connection.ExecuteAsync(new CommandDefinition("""
                    INSERT INTO events (message_id, recipient_id, type, detail, report, created_at) VALUES (@MessageId, @RecipientId, @Type, @Response, @Report, @Now)
                    """, new { MessageId = r.MessageId.ToString(), r.RecipientId, Type = status.ToDb(), change.Response, change.Report, Now = now }, tx, cancellationToken: ct));
        }
        var suppressed = change.SuppressionReason is { } reason && await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO suppressions (account_id, address, reason, source, created_at) VALUES (@AccountId, @Address, @reason, 'feedback', @Now)
            ON CONFLICT (account_id, address) DO NOTHING
            """, new { r.AccountId, r.Address, reason, Now = now }, tx, cancellationToken: ct)) == 1;
        return new FeedbackApplied(changed, suppressed);
    }

    public static async Task<bool> RemoveSuppressionAsync(DbConnection connection, string accountId, string address, CancellationToken ct) =>
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM suppressions WHERE account_id = @accountId AND address = @address",
            new { accountId, address }, cancellationToken: ct)) == 1;

    /// <summary>A lease from the recipients the engine's lease statement returned and their messages.</summary>
    public static Lease ToLease(long token, DateTimeOffset until, IEnumerable<LeasedRow> rows, IEnumerable<QueuedMessageRow> messages) => new(
        token,
        until,
        rows.OrderBy(r => r.Id).Select(r => new LeasedRecipient(r.Id, new MessageId(Guid.Parse(r.MessageId)), r.Address, r.Domain, (int)r.Attempts)).ToArray(),
        messages.ToDictionary(
            m => new MessageId(Guid.Parse(m.Id)),
            m => new QueuedMessage(new MessageId(Guid.Parse(m.Id)), m.AccountId, MessageSourceNames.FromDb(m.Source), m.EnvelopeFrom, m.Raw,
                DateTimeOffset.FromUnixTimeMilliseconds(m.CreatedAt))));

    public sealed record LeasedRow(long Id, string MessageId, string Address, string Domain, long Attempts);

    public sealed record QueuedMessageRow(string Id, string AccountId, string Source, string EnvelopeFrom, byte[] Raw, long CreatedAt);

    private sealed record SuppressionRow(string Address, string Reason, string Source, long CreatedAt);
}
