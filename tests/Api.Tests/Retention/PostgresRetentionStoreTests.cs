using EmailApi.TestKit;
using EmailApi.Tests.Storage;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Retention;

[Collection(PostgresCollection.Name)]
public sealed class PostgresRetentionStoreTests(PostgresServer server) : RetentionStoreTests
{
    protected override async Task<StoreEngine> CreateEngineAsync(FakeTimeProvider clock) =>
        await PostgresStoreEngine.CreateAsync(server, clock, CancellationToken.None);
}
