using EmailApi.TestKit;
using EmailApi.Tests.Storage;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Domains;

[Collection(PostgresCollection.Name)]
public sealed class PostgresDomainStoreTests(PostgresServer server) : DomainStoreTests
{
    protected override async Task<StoreEngine> CreateEngineAsync(FakeTimeProvider clock) =>
        await PostgresStoreEngine.CreateAsync(server, clock, CancellationToken.None);
}
