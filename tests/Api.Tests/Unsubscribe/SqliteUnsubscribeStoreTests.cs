using EmailApi.Tests.Storage;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Unsubscribe;

public sealed class SqliteUnsubscribeStoreTests : UnsubscribeStoreTests
{
    protected override Task<StoreEngine> CreateEngineAsync(FakeTimeProvider clock) => SqliteStoreEngine.CreateAsync(clock);
}
