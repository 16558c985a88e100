using EmailApi.Retention;
using EmailApi.Storage;
using EmailApi.Tests.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Retention;

public sealed class SqliteRetentionStoreTests : RetentionStoreTests
{
    protected override Task<StoreEngine> CreateEngineAsync(FakeTimeProvider clock) => SqliteStoreEngine.CreateAsync(clock);

    // Pruning runs all day against a table of every message kept: it must walk an index, not the table.
    [Fact]
    public async Task QueryPlan_FinishedCandidates_SearchesTheIdIndexWithoutAScan()
    {
        var dir = Path.Combine(Path.GetTempPath(), "emailapi-retention-plan", Guid.NewGuid().ToString("N"));
        var db = new SqliteDb(Options.Create(new StorageOptions { Sqlite = { Path = Path.Combine(dir, "r.db") } }));
        await new SqliteMigrations(db, TimeProvider.System, NullLogger<SqliteMigrations>.Instance).ApplyAsync(CancellationToken.None);
        try
        {
            using var connection = db.Open();
            var plan = string.Join("\n", Dapper.SqlMapper.Query<(long, long, long, string)>(connection, "EXPLAIN QUERY PLAN " + SqlRetentionStore.FinishedCandidates,
                new { BeforeId = "01900000-0000-0000-0000-000000000000", Before = 0L, Chunk = 500L }).Select(r => r.Item4));

            Assert.DoesNotMatch(@"SCAN (m|r)(\s|$)", plan);
            Assert.Contains("SEARCH m", plan);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }
}
