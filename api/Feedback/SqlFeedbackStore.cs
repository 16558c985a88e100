using Dapper;
using EmailApi.Queue;
using EmailApi.Storage;

namespace EmailApi.Feedback;

/// <summary><see cref="IFeedbackStore"/> in SQL both engines run unchanged (<c>ON CONFLICT DO NOTHING</c> is in both).</summary>
public sealed class SqlFeedbackStore(SqlDialect sql) : IFeedbackStore
{
    public async Task<SentRecipient?> FindRecipientAsync(MessageId messageId, long recipientId, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<(string AccountId, string Address, string Status, string Source, string EnvelopeFrom)?>(new CommandDefinition("""
            SELECT m.account_id, r.address, r.status, m.source, m.envelope_from FROM recipients r JOIN messages m ON m.id = r.message_id
            WHERE r.id = @recipientId AND r.message_id = @messageId
            """, new { recipientId, messageId = messageId.ToString() }, cancellationToken: ct));
        return row is { } r
            ? new SentRecipient(messageId, recipientId, r.AccountId, r.Address, RecipientStatusNames.FromDb(r.Status), MessageSourceNames.FromDb(r.Source), r.EnvelopeFrom)
            : null;
    }

    public async Task<QueuedMessage?> MessageAsync(MessageId id, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<QueueQueries.QueuedMessageRow>(new CommandDefinition(
            $"SELECT {QueueQueries.QueuedMessageColumns} FROM messages WHERE id = @id", new { id = id.ToString() }, cancellationToken: ct));
        return row is null ? null : QueueQueries.ToMessage(row);
    }

    public async Task<FeedbackApplied> ApplyAsync(FeedbackChange change, CancellationToken ct)
    {
        var now = change.At.ToUnixTimeMilliseconds();
        var r = change.Recipient;
        await using var connection = await sql.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
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
        // Queued only with the change it reports: a report processed twice, or a second one for the
        // recipient, finds it bounced already and queues nothing.
        var notified = false;
        if (changed && change.Notification is { } notification)
        {
            await QueueInsert.InsertAsync(connection, tx, [notification], change.At, ct);
            notified = true;
        }
        var suppressed = change.SuppressionReason is { } reason && await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO suppressions (account_id, address, reason, source, created_at) VALUES (@AccountId, @Address, @reason, 'feedback', @Now)
            ON CONFLICT (account_id, address) DO NOTHING
            """, new { r.AccountId, r.Address, reason, Now = now }, tx, cancellationToken: ct)) == 1;
        await tx.CommitAsync(ct);
        return new FeedbackApplied(changed, suppressed, notified);
    }

    public async Task<string> KeyAsync(string name, string sealedCandidate, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO feedback_keys (name, sealed_key, created_at) VALUES (@name, @sealedCandidate, @createdAt) ON CONFLICT (name) DO NOTHING",
            new { name, sealedCandidate, createdAt = now.ToUnixTimeMilliseconds() }, cancellationToken: ct));
        return await connection.ExecuteScalarAsync<string>(new CommandDefinition(
            "SELECT sealed_key FROM feedback_keys WHERE name = @name", new { name }, cancellationToken: ct)) ?? sealedCandidate;
    }

    public async Task AddReportsAsync(IReadOnlyList<InboundReport> reports, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        foreach (var r in reports)
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO inbound_reports (id, received_at, remote, mail_from, rcpt_to, raw, state)
                VALUES (@Id, @ReceivedAt, @Remote, @MailFrom, @RcptTo, @Raw, 'pending')
                """, new { r.Id, ReceivedAt = r.ReceivedAt.ToUnixTimeMilliseconds(), r.Remote, r.MailFrom, r.RcptTo, r.Raw }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
    }

    public async Task<IReadOnlyList<InboundReport>> PendingAsync(int limit, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        var rows = await connection.QueryAsync<PendingRow>(new CommandDefinition("""
            SELECT id AS Id, received_at AS ReceivedAt, remote AS Remote, mail_from AS MailFrom, rcpt_to AS RcptTo, raw AS Raw
            FROM inbound_reports WHERE state = 'pending' ORDER BY received_at LIMIT @limit
            """, new { limit }, cancellationToken: ct));
        return rows.Select(r => new InboundReport(r.Id, DateTimeOffset.FromUnixTimeMilliseconds(r.ReceivedAt), r.Remote, r.MailFrom, r.RcptTo, r.Raw)).ToArray();
    }

    public async Task<bool> CompleteAsync(string id, ReportResult result, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE inbound_reports SET state = 'processed', classification = @Classification, token_check = @TokenCheck, account_id = @AccountId,
                message_id = @MessageId, recipient_id = @RecipientId, recipient = @Recipient, effect = @Effect, detail = @Detail, processed_at = @now,
                recipient_status = @RecipientStatus
            WHERE id = @id AND state = 'pending'
            """, new { id, result.Classification, result.TokenCheck, result.AccountId, result.MessageId, result.RecipientId, result.Recipient, result.Effect, result.Detail, result.RecipientStatus,
                now = now.ToUnixTimeMilliseconds() }, cancellationToken: ct)) == 1;
    }

    public async Task<IReadOnlyList<InboundReportView>> ListAsync(string? accountId, string? messageId, string? classification, string? before, int limit, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        var rows = await connection.QueryAsync<ViewRow>(new CommandDefinition("""
            SELECT id AS Id, received_at AS ReceivedAt, remote AS Remote, mail_from AS MailFrom, rcpt_to AS RcptTo, state AS State,
                classification AS Classification, token_check AS TokenCheck, account_id AS AccountId, message_id AS MessageId,
                recipient_id AS RecipientId, effect AS Effect, detail AS Detail, processed_at AS ProcessedAt, recipient AS Recipient, recipient_status AS RecipientStatus
            FROM inbound_reports
            WHERE (CAST(@accountId AS TEXT) IS NULL OR account_id = @accountId)
              AND (CAST(@messageId AS TEXT) IS NULL OR message_id = @messageId)
              AND (CAST(@classification AS TEXT) IS NULL OR classification = @classification)
              AND (CAST(@before AS TEXT) IS NULL OR id < @before)
            ORDER BY id DESC LIMIT @limit
            """, new { accountId, messageId, classification, before, limit }, cancellationToken: ct));
        return rows.Select(r => new InboundReportView(r.Id, DateTimeOffset.FromUnixTimeMilliseconds(r.ReceivedAt), r.Remote, r.MailFrom, r.RcptTo, r.State,
            r.Classification, r.TokenCheck, r.AccountId, r.MessageId, r.RecipientId, r.Effect, r.Detail,
            r.ProcessedAt is { } p ? DateTimeOffset.FromUnixTimeMilliseconds(p) : null, r.Recipient, r.RecipientStatus)).ToArray();
    }

    public async Task<int> CountSoftBouncesAsync(string accountId, string recipient, DateTimeOffset since, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        return (int)await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            SELECT COUNT(*) FROM inbound_reports
            WHERE account_id = @accountId AND recipient = @recipient AND effect = @effect AND received_at >= @since
            """, new { accountId, recipient, effect = FeedbackProcessor.SoftBounceEffect, since = since.ToUnixTimeMilliseconds() }, cancellationToken: ct));
    }

    private sealed record PendingRow(string Id, long ReceivedAt, string Remote, string MailFrom, string RcptTo, byte[] Raw);

    private sealed record ViewRow(string Id, long ReceivedAt, string Remote, string MailFrom, string RcptTo, string State, string? Classification,
        string? TokenCheck, string? AccountId, string? MessageId, long? RecipientId, string? Effect, string? Detail, long? ProcessedAt, string? Recipient, string? RecipientStatus);
}
