using Dapper;
using EmailApi.Storage;
using EmailApi.TestKit;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace EmailApi.Tests.Storage;

[Collection(PostgresCollection.Name)]
public sealed class PostgresMigrationsTests(PostgresServer server)
{
    [Fact]
    public void Steps_AreInStepWithSqlite()
    {
        Assert.Equal(SqliteMigrations.LatestVersion, PostgresMigrations.LatestVersion);
    }

    [Fact]
    public async Task Apply_OnEmptyDatabase_CreatesEveryTableWithTheSqliteColumns()
    {
        var connectionString = await server.CreateDatabaseAsync(CancellationToken.None);
        await using var db = new PostgresDb(connectionString);
        await new PostgresMigrations(db, TimeProvider.System, NullLogger<PostgresMigrations>.Instance).ApplyAsync(CancellationToken.None);

        await using var connection = await db.OpenAsync(CancellationToken.None);
        Assert.Equal(PostgresMigrations.LatestVersion, await connection.ExecuteScalarAsync<long>("SELECT MAX(version) FROM schema_version"));
        var columns = (await connection.QueryAsync<string>(
            "SELECT table_name || '.' || column_name FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1")).ToHashSet();
        foreach (var expected in new[] { "recipients.lease_token", "recipients.account_id", "messages.send_at", "accounts.monthly_quota", "account_usage.used",
                     "idempotency_keys.request_hash", "suppressions.address", "webhook_deliveries.lease_until", "webhook_cursor.last_event_id" })
            Assert.Contains(expected, columns);
    }

    [Fact]
    public async Task Apply_FromSeveralNodesAtOnce_MigratesOnceAndRunsTheBootstrapOneAtATime()
    {
        var connectionString = await server.CreateDatabaseAsync(CancellationToken.None);
        var inside = 0;
        var overlapped = false;
        var bootstraps = 0;
        var nodes = Enumerable.Range(0, 6).Select(async _ =>
        {
            // Each node has its own pool, as separate processes would.
            await using var db = new PostgresDb(connectionString + ";Application Name=node" + Guid.NewGuid().ToString("N")[..6]);
            await new PostgresMigrations(db, TimeProvider.System, NullLogger<PostgresMigrations>.Instance).ApplyAsync(async ct =>
            {
                if (Interlocked.Increment(ref inside) > 1) overlapped = true;
                Interlocked.Increment(ref bootstraps);
                await Task.Delay(20, ct);
                Interlocked.Decrement(ref inside);
            }, CancellationToken.None);
        }).ToArray();

        await Task.WhenAll(nodes);

        Assert.False(overlapped);
        Assert.Equal(6, bootstraps);
        await using var connection = new NpgsqlConnection(connectionString);
        Assert.Equal(PostgresMigrations.LatestVersion, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM schema_version"));
    }
}
