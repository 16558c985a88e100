using EmailApi.Tests.Storage;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Retention;

public sealed class SqliteRetentionStoreTests : RetentionStoreTests
{
    protected override Task<StoreEngine> CreateEngineAsync(FakeTimeProvider clock) => Task.FromResult<StoreEngine>(new SqliteStoreEngine(clock));
}
