using EmailApi.Accounts;
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

    [Fact]
    public void UsePostgresStores_ReplacesEverySqliteStore()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IQueueStore, SqliteQueueStore>();
        services.AddSingleton<IAccountStore, SqliteAccountStore>();

        services.UsePostgresStores(sender: false);

        Assert.Equal(typeof(PostgresQueueStore), Assert.Single(services, d => d.ServiceType == typeof(IQueueStore)).ImplementationType);
        Assert.Equal(typeof(PostgresAccountStore), Assert.Single(services, d => d.ServiceType == typeof(IAccountStore)).ImplementationType);
    }

    [Fact]
    public void UsePostgresStores_WithAStoreThatHasNoPostgresTwin_RefusesToStart()
    {
        var services = new ServiceCollection();
        services.AddSingleton<ISqliteOnlyStore, SqliteOnlyStore>();

        var error = Assert.Throws<InvalidOperationException>(() => services.UsePostgresStores(sender: false));

        Assert.Contains(nameof(SqliteOnlyStore), error.Message);
    }

    // Stands for a store added on SQLite whose PostgreSQL twin was forgotten.
    private interface ISqliteOnlyStore;

    private sealed class SqliteOnlyStore : ISqliteOnlyStore;
}
