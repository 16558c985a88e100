using EmailApi.Tests.Storage;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Delivery.MtaSts;

public sealed class SqliteMtaStsPolicyStoreTests : MtaStsPolicyStoreTests
{
    protected override Task<StoreEngine> CreateEngineAsync(FakeTimeProvider clock) => SqliteStoreEngine.CreateAsync(clock);
}
