using System.Data.Common;
using System.Text.Json;
using Dapper;

namespace EmailApi.Queue;

/// <summary>
/// Reads one message with its recipients and events for the status API. The statements are plain
/// SQL that SQLite and PostgreSQL run unchanged, so both stores share this one reader.
/// </summary>
internal static class MessageViewReader
{
    public static async Task<MessageView?> ReadAsync(DbConnection connection, string accountId, MessageId id, CancellationToken ct)
    {
        var key = id.ToString();
        var message = await connection.QuerySingleOrDefaultAsync<MessageRow>(new CommandDefinition("""
            SELECT id AS Id, source AS Source, envelope_from AS EnvelopeFrom, header_from AS HeaderFrom, subject AS Subject,
                   tags AS Tags, metadata AS Metadata, size AS Size, created_at AS CreatedAt
            FROM messages WHERE id = @Id AND account_id = @AccountId
            """, new { Id = key, AccountId = accountId }, cancellationToken: ct));
        if (message is null) return null;

        var recipients = await connection.QueryAsync<RecipientRow>(new CommandDefinition("""
            SELECT id AS Id, address AS Address, status AS Status, attempts AS Attempts, last_response AS LastResponse,
                   last_reply_code AS LastReplyCode, last_enhanced_status AS LastEnhancedStatus, next_attempt_at AS NextAttemptAt, updated_at AS UpdatedAt,
                   report_id AS ReportId
            FROM recipients WHERE message_id = @Id ORDER BY id
            """, new { Id = key }, cancellationToken: ct));
        var events = await connection.QueryAsync<EventRow>(new CommandDefinition("""
            SELECT e.type AS Type, r.address AS Recipient, e.detail AS Detail, e.reply_code AS ReplyCode, e.enhanced_status AS EnhancedStatus, e.mx AS Mx,
                   e.created_at AS CreatedAt, e.report AS Report
            FROM events e LEFT JOIN recipients r ON r.id = e.recipient_id
            WHERE e.message_id = @Id ORDER BY e.id
            """, new { Id = key }, cancellationToken: ct));

        return new MessageView(
            id,
            MessageSourceNames.FromDb(message.Source),
            message.EnvelopeFrom,
            message.HeaderFrom,
            message.Subject,
            message.Tags is null ? [] : JsonSerializer.Deserialize<string[]>(message.Tags) ?? [],
            message.Metadata is null ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(message.Metadata),
            message.Size,
            DateTimeOffset.FromUnixTimeMilliseconds(message.CreatedAt),
            recipients.Select(ToView).ToArray(),
            events.Select(e => new EventView(e.Type, e.Recipient, e.Detail, (int?)e.ReplyCode, e.EnhancedStatus, e.Mx, DateTimeOffset.FromUnixTimeMilliseconds(e.CreatedAt), e.Report)).ToArray());
    }

    private static RecipientView ToView(RecipientRow r)
    {
        var status = RecipientStatusNames.FromDb(r.Status);
        // A final recipient has no next attempt, whatever the column still holds.
        var next = status.IsFinal() || r.NextAttemptAt is null ? (DateTimeOffset?)null : DateTimeOffset.FromUnixTimeMilliseconds(r.NextAttemptAt.Value);
        return new RecipientView(r.Address, status, (int)r.Attempts, r.LastResponse, (int?)r.LastReplyCode, r.LastEnhancedStatus, next,
            DateTimeOffset.FromUnixTimeMilliseconds(r.UpdatedAt), r.ReportId is not null);
    }

    private sealed record MessageRow(string Id, string Source, string EnvelopeFrom, string? HeaderFrom, string? Subject, string? Tags, string? Metadata, long Size, long CreatedAt);

    private sealed record RecipientRow(long Id, string Address, string Status, long Attempts, string? LastResponse, long? LastReplyCode, string? LastEnhancedStatus,
        long? NextAttemptAt, long UpdatedAt, string? ReportId);

    private sealed record EventRow(string Type, string? Recipient, string? Detail, long? ReplyCode, string? EnhancedStatus, string? Mx, long CreatedAt, string? Report);
}
