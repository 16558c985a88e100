using EmailApi.TestKit;
using EmailApi.Tests.Storage;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Messages;

[Collection(PostgresCollection.Name)]
public sealed class PostgresMessageLogStoreTests(PostgresServer server) : MessageLogStoreTests
{
    protected override async Task<StoreEngine> CreateEngineAsync(FakeTimeProvider clock) =>
        await PostgresStoreEngine.CreateAsync(server, clock, CancellationToken.None);
}
