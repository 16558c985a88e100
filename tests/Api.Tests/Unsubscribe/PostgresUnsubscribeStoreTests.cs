using EmailApi.TestKit;
using EmailApi.Tests.Storage;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Unsubscribe;

[Collection(PostgresCollection.Name)]
public sealed class PostgresUnsubscribeStoreTests(PostgresServer server) : UnsubscribeStoreTests
{
    protected override async Task<StoreEngine> CreateEngineAsync(FakeTimeProvider clock) =>
        await PostgresStoreEngine.CreateAsync(server, clock, CancellationToken.None);
}
