using System.Net;
using System.Net.Http.Json;
using Dapper;
using EmailApi.TestKit;
using EmailApi.Tests.Storage;
using Npgsql;

namespace EmailApi.Tests.Hosting;

/// <summary>On PostgreSQL, ready means a write commits (issue #15, point 12): a database that answers but is read-only is not ready.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresReadinessTests(PostgresServer server)
{
    [Fact]
    public async Task Ready_WhenTheDatabaseBecomesReadOnly_Returns503NamingStorage_AndSendIsRefused()
    {
        var connectionString = await server.CreateDatabaseAsync(CancellationToken.None);
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        using var app = new TestApp(new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "Postgres",
            ["Storage:Postgres:ConnectionString"] = connectionString,
        });
        var health = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await health.GetAsync("/health/ready")).StatusCode);

        // As a standby would be: every new session read-only; the service's open sessions are ended.
        await using (var admin = new NpgsqlConnection(server.AdminConnectionString))
        {
            await admin.ExecuteAsync($"ALTER DATABASE \"{database}\" SET default_transaction_read_only = on");
            await admin.ExecuteAsync("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = @database AND pid <> pg_backend_pid()", new { database });
        }

        // The ended sessions fail the first checks whatever they do; readiness must stay 503 once
        // the pool has fresh (read-only) sessions, so wait for five 503s in a row.
        HttpResponseMessage ready;
        var inARow = 0;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        do
        {
            ready = await health.GetAsync("/health/ready");
            inARow = ready.StatusCode == HttpStatusCode.ServiceUnavailable ? inARow + 1 : 0;
            if (inARow < 5) await Task.Delay(100);
        }
        while (inARow < 5 && DateTime.UtcNow < deadline);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal(5, inARow);
        var storage = (await TestApp.ReadJsonAsync(ready)).GetProperty("checks").GetProperty("storage");
        Assert.Equal("The database cannot be written.", storage.GetProperty("description").GetString());

        var sent = await app.Authorized().PostAsJsonAsync("/v1/send", new { from = "s@example.com", to = "r@example.org", text = "x" });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, sent.StatusCode);
    }
}
