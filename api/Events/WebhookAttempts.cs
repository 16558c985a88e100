using System.Data.Common;
using Dapper;

namespace EmailApi.Events;

/// <summary>One delivery of an event to an endpoint, as the account sees it: where it stands, the last error, the next try.</summary>
public sealed record WebhookAttempt(long Id, string WebhookId, string Url, string MessageId, string Status, int Attempts,
    string? LastError, DateTimeOffset? NextAttemptAt, DateTimeOffset UpdatedAt);

/// <summary>The recent deliveries of an account's endpoints: one statement both engines run unchanged.</summary>
internal static class WebhookAttempts
{
    public static async Task<IReadOnlyList<WebhookAttempt>> RecentAsync(DbConnection connection, string accountId, int limit, CancellationToken ct)
    {
        var rows = await connection.QueryAsync<Row>(new CommandDefinition("""
            SELECT d.id AS Id, d.webhook_id AS WebhookId, w.url AS Url, d.message_id AS MessageId, d.status AS Status, d.attempts AS Attempts,
                   d.last_error AS LastError, d.next_attempt_at AS NextAttemptAt, d.updated_at AS UpdatedAt
            FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
            WHERE w.account_id = @AccountId ORDER BY d.id DESC LIMIT @Limit
            """, new { AccountId = accountId, Limit = (long)limit }, cancellationToken: ct));
        return rows.Select(r => new WebhookAttempt(r.Id, r.WebhookId, r.Url, r.MessageId, r.Status, (int)r.Attempts, r.LastError,
            r.Status == "pending" ? DateTimeOffset.FromUnixTimeMilliseconds(r.NextAttemptAt) : null,
            DateTimeOffset.FromUnixTimeMilliseconds(r.UpdatedAt))).ToArray();
    }

    private sealed record Row(long Id, string WebhookId, string Url, string MessageId, string Status, long Attempts, string? LastError, long NextAttemptAt, long UpdatedAt);
}
