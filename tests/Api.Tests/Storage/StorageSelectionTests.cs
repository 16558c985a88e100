using EmailApi.Hosting;
using EmailApi.Queue;
using EmailApi.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace EmailApi.Tests.Storage;

public sealed class StorageSelectionTests
{
    [Theory]
    [InlineData("Sqlite", false)]
    [InlineData("sqlite", false)]
    [InlineData("Postgres", true)]
    [InlineData("PostgreSQL", true)]
    [InlineData(" postgres ", true)]
    public void Provider_NamesTheEngine(string provider, bool postgres)
    {
        Assert.Equal(postgres, new StorageOptions { Provider = provider }.UsesPostgres);
    }

    [Fact]
    public void Provider_Unknown_IsAConfigurationError()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new StorageOptions { Provider = "mysql" }.UsesPostgres);
        Assert.Contains("mysql", error.Message);
    }

    [Theory]
    [InlineData("Sqlite", typeof(SqliteDialect), typeof(SqliteQueueStore))]
    [InlineData("Postgres", typeof(PostgresDialect), typeof(PostgresQueueStore))]
    public void AddStorage_RegistersOneEngineOnly(string provider, Type dialect, Type queue)
    {
        var services = new ServiceCollection();

        services.AddStorage(new StorageOptions { Provider = provider }, sender: true);

        Assert.Equal(queue, Assert.Single(services, d => d.ServiceType == typeof(IQueueStore)).ImplementationType);
        Assert.Single(services, d => d.ServiceType == typeof(SqlDialect));
        Assert.Contains(services, d => d.ServiceType == dialect);
        // Nothing of the other engine is registered, so nothing can quietly write to the wrong database.
        var other = provider == "Sqlite" ? "Postgres" : "Sqlite";
        Assert.DoesNotContain(services, d => (d.ImplementationType ?? d.ServiceType).Name.StartsWith(other, StringComparison.Ordinal));
        Assert.All(services.GroupBy(d => d.ServiceType).Where(g => g.Key != typeof(Microsoft.Extensions.Hosting.IHostedService)), g => Assert.Single(g));
    }
}
