using System.Data.Common;
using Dapper;

namespace EmailApi.Feedback;

/// <summary><see cref="IFeedbackStore"/> in SQL both engines run unchanged (<c>ON CONFLICT DO NOTHING</c> is in both); an engine only opens connections.</summary>
public abstract class SqlFeedbackStore : IFeedbackStore
{
    protected abstract Task<DbConnection> OpenAsync(CancellationToken ct);

    public async Task<string> KeyAsync(string name, string sealedCandidate, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO feedback_keys (name, sealed_key, created_at) VALUES (@name, @sealedCandidate, @createdAt) ON CONFLICT (name) DO NOTHING",
            new { name, sealedCandidate, createdAt = now.ToUnixTimeMilliseconds() }, cancellationToken: ct));
        return await connection.ExecuteScalarAsync<string>(new CommandDefinition(
            "SELECT sealed_key FROM feedback_keys WHERE name = @name", new { name }, cancellationToken: ct)) ?? sealedCandidate;
    }

    public async Task AddReportsAsync(IReadOnlyList<InboundReport> reports, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
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
        await using var connection = await OpenAsync(ct);
        var rows = await connection.QueryAsync<PendingRow>(new CommandDefinition("""
            SELECT id AS Id, received_at AS ReceivedAt, remote AS Remote, mail_from AS MailFrom, rcpt_to AS RcptTo, raw AS Raw
            FROM inbound_reports WHERE state = 'pending' ORDER BY received_at LIMIT @limit
            """, new { limit }, cancellationToken: ct));
        return rows.Select(r => new InboundReport(r.Id, DateTimeOffset.FromUnixTimeMilliseconds(r.ReceivedAt), r.Remote, r.MailFrom, r.RcptTo, r.Raw)).ToArray();
    }

    public async Task<bool> CompleteAsync(string id, ReportResult result, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
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
        await using var connection = await OpenAsync(ct);
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
        await using var connection = await OpenAsync(ct);
        return (int)await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            SELECT COUNT(*) FROM inbound_reports
            WHERE account_id = @accountId AND recipient = @recipient AND effect = @effect AND received_at >= @since
            """, new { accountId, recipient, effect = FeedbackProcessor.SoftBounceEffect, since = since.ToUnixTimeMilliseconds() }, cancellationToken: ct));
    }

    private sealed record PendingRow(string Id, long ReceivedAt, string Remote, string MailFrom, string RcptTo, byte[] Raw);

    private sealed record ViewRow(string Id, long ReceivedAt, string Remote, string MailFrom, string RcptTo, string State, string? Classification,
        string? TokenCheck, string? AccountId, string? MessageId, long? RecipientId, string? Effect, string? Detail, long? ProcessedAt, string? Recipient, string? RecipientStatus);
}
