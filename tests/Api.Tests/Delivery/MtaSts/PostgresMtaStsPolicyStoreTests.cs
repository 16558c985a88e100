using EmailApi.TestKit;
using EmailApi.Tests.Storage;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Delivery.MtaSts;

[Collection(PostgresCollection.Name)]
public sealed class PostgresMtaStsPolicyStoreTests(PostgresServer server) : MtaStsPolicyStoreTests
{
    protected override async Task<StoreEngine> CreateEngineAsync(FakeTimeProvider clock) =>
        await PostgresStoreEngine.CreateAsync(server, clock, CancellationToken.None);
}
