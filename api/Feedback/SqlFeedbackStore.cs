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
}
