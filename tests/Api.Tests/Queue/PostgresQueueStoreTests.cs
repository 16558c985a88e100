using EmailApi.Queue;
using EmailApi.TestKit;
using EmailApi.Tests.Storage;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Queue;

[Collection(PostgresCollection.Name)]
public sealed class PostgresQueueStoreTests(PostgresServer server) : QueueStoreTests
{
    protected override async Task<StoreEngine> CreateEngineAsync(FakeTimeProvider clock) =>
        await PostgresStoreEngine.CreateAsync(server, clock, CancellationToken.None);

    // On a shared database a starting sender cannot tell a crashed node's leases from a live one's.
    [Fact]
    public async Task Recover_OnASharedDatabase_LeavesOtherNodesLeasesUntilTheyExpire()
    {
        await Store.EnqueueAsync([Message("a@one.test")], CancellationToken.None);
        Assert.Single((await Store.LeaseAsync(10, TimeSpan.FromMinutes(10), CancellationToken.None)).Recipients);
        var starting = Engine.OpenAnotherNode(Clock);

        await starting.RecoverAsync(CancellationToken.None);

        Assert.Empty((await starting.LeaseAsync(10, TimeSpan.FromMinutes(10), CancellationToken.None)).Recipients);
        Clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Single((await starting.LeaseAsync(10, TimeSpan.FromMinutes(10), CancellationToken.None)).Recipients);
    }
}
