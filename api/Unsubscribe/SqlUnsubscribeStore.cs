using Dapper;
using EmailApi.Storage;

namespace EmailApi.Unsubscribe;

/// <summary>
/// <see cref="IUnsubscribeStore"/> in SQL both engines run unchanged (<c>ON CONFLICT DO NOTHING</c>
/// is SQLite's and PostgreSQL's).
/// </summary>
public sealed class SqlUnsubscribeStore(SqlDialect sql) : IUnsubscribeStore
{
    public async Task<string> SecretAsync(string name, string candidate, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO service_secrets (name, value, created_at) VALUES (@name, @candidate, @now) ON CONFLICT (name) DO NOTHING",
            new { name, candidate, now = now.ToUnixTimeMilliseconds() }, cancellationToken: ct));
        return await connection.ExecuteScalarAsync<string>(new CommandDefinition(
            "SELECT value FROM service_secrets WHERE name = @name", new { name }, cancellationToken: ct)) ?? candidate;
    }

    public async Task<UnsubscribeTarget?> FindAsync(string messageId, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        var rows = (await connection.QueryAsync<UnsubscribeTarget>(new CommandDefinition("""
            SELECT m.account_id AS AccountId, m.id AS MessageId, r.id AS RecipientId, r.address AS Address
            FROM messages m JOIN recipients r ON r.message_id = m.id
            WHERE m.id = @messageId LIMIT 2
            """, new { messageId }, cancellationToken: ct))).AsList();
        return rows.Count == 1 ? rows[0] : null;
    }

    public async Task<bool> SuppressAsync(UnsubscribeTarget target, string via, DateTimeOffset now, CancellationToken ct)
    {
        var at = now.ToUnixTimeMilliseconds();
        await using var connection = await sql.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var added = await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO suppressions (account_id, address, reason, source, created_at) VALUES (@AccountId, @address, 'unsubscribed', 'unsubscribe', @at)
            ON CONFLICT (account_id, address) DO NOTHING
            """, new { target.AccountId, address = target.Address.ToLowerInvariant(), at }, tx, cancellationToken: ct));
        if (added == 1)
        {
            // An event of the message, so the webhook fan-out delivers it like any other (as message.unsubscribed).
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO events (message_id, recipient_id, type, detail, created_at) VALUES (@MessageId, @RecipientId, 'unsubscribed', @detail, @at)
                """, new { target.MessageId, target.RecipientId, detail = $"Unsubscribed via {via}", at }, tx, cancellationToken: ct));
        }
        await tx.CommitAsync(ct);
        return added == 1;
    }
}
