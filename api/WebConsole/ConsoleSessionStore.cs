using Dapper;
using EmailApi.Storage;

namespace EmailApi.WebConsole;

/// <summary>
/// Console session state every node shares: sessions ended before their cookie expires (sign-out), and
/// the stash that carries a value shown once (a new key, a webhook secret) across the redirect after a
/// form. Both are bounded: each write first removes the rows whose time has passed.
/// </summary>
public interface IConsoleSessionStore
{
    /// <summary>Ends the session on every node until <paramref name="expiresAt"/>, when its cookie stops working anyway.</summary>
    Task EndAsync(string sessionId, DateTimeOffset expiresAt, CancellationToken ct);

    Task<bool> IsEndedAsync(string sessionId, CancellationToken ct);

    /// <summary>Keeps <paramref name="value"/> for the session until <paramref name="expiresAt"/>, under <paramref name="id"/>.</summary>
    Task StashAsync(string id, string sessionId, string value, DateTimeOffset expiresAt, CancellationToken ct);

    /// <summary>The stashed value, removed as it is read; null when taken already, expired, or another session's.</summary>
    Task<string?> TakeAsync(string id, string sessionId, CancellationToken ct);
}

/// <summary><see cref="IConsoleSessionStore"/> in SQL both engines run unchanged.</summary>
public sealed class SqlConsoleSessionStore(SqlDialect sql, TimeProvider clock) : IConsoleSessionStore
{

    private long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task EndAsync(string sessionId, DateTimeOffset expiresAt, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            DELETE FROM console_sessions_ended WHERE expires_at <= @Now;
            INSERT INTO console_sessions_ended (id, expires_at) VALUES (@Id, @ExpiresAt) ON CONFLICT (id) DO NOTHING
            """, new { Now, Id = sessionId, ExpiresAt = expiresAt.ToUnixTimeMilliseconds() }, cancellationToken: ct));
    }

    public async Task<bool> IsEndedAsync(string sessionId, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT 1 FROM console_sessions_ended WHERE id = @Id AND expires_at > @Now", new { Id = sessionId, Now }, cancellationToken: ct)) is not null;
    }

    public async Task StashAsync(string id, string sessionId, string value, DateTimeOffset expiresAt, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            DELETE FROM console_stash WHERE expires_at <= @Now;
            INSERT INTO console_stash (id, session_id, value, expires_at) VALUES (@Id, @SessionId, @Value, @ExpiresAt)
            """, new { Now, Id = id, SessionId = sessionId, Value = value, ExpiresAt = expiresAt.ToUnixTimeMilliseconds() }, cancellationToken: ct));
    }

    public async Task<string?> TakeAsync(string id, string sessionId, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        return await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "DELETE FROM console_stash WHERE id = @Id AND session_id = @SessionId AND expires_at > @Now RETURNING value",
            new { Id = id, SessionId = sessionId, Now }, cancellationToken: ct));
    }
}
