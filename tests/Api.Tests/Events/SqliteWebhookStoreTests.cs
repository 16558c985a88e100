using EmailApi.Tests.Storage;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Events;

public sealed class SqliteWebhookStoreTests : WebhookStoreTests
{
    protected override Task<StoreEngine> CreateEngineAsync(FakeTimeProvider clock) => SqliteStoreEngine.CreateAsync(clock);
}
