using Dapper;
using EmailApi.TestKit;
using EmailApi.Tests.Storage;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace EmailApi.Tests.Events;

[Collection(PostgresCollection.Name)]
public sealed class PostgresWebhookStoreTests(PostgresServer server) : WebhookStoreTests
{
    protected override async Task<StoreEngine> CreateEngineAsync(FakeTimeProvider clock) =>
        await PostgresStoreEngine.CreateAsync(server, clock, CancellationToken.None);

    // Two nodes write events at once: the one that took the smaller id commits last. A cursor on the
    // id alone would step past it; the fan-out must wait for it and then deliver both, in order.
    [Fact]
    public async Task FanOut_WithAnEarlierEventStillBeingCommitted_WaitsForItAndLosesNothing()
    {
        await Engine.Webhooks.CreateAsync(Account, "http://127.0.0.1:1/a", ["queued"], "whsec_a", CancellationToken.None);
        var slow = await SendAsync("slow@one.test");
        await Engine.Webhooks.FanOutAsync(100, CancellationToken.None);
        foreach (var delivery in await Engine.Webhooks.LeaseAsync(10, TimeSpan.FromMinutes(1), CancellationToken.None))
            await Engine.Webhooks.RecordSuccessAsync(delivery, CancellationToken.None);

        await using var inFlight = new NpgsqlConnection(((PostgresStoreEngine)Engine).ConnectionString);
        await inFlight.OpenAsync();
        await using var tx = await inFlight.BeginTransactionAsync();
        await inFlight.ExecuteAsync("INSERT INTO events (message_id, type, detail, created_at) VALUES (@Id, 'queued', 'late', 0)", new { Id = slow.Id.ToString() }, tx);
        var fast = await SendAsync("fast@one.test");

        Assert.Equal(0, await Engine.Webhooks.FanOutAsync(100, CancellationToken.None));
        await tx.CommitAsync();
        Assert.Equal(2, await Engine.Webhooks.FanOutAsync(100, CancellationToken.None));

        var due = await Engine.Webhooks.LeaseAsync(10, TimeSpan.FromMinutes(1), CancellationToken.None);
        Assert.Equal([slow.Id.ToString(), fast.Id.ToString()], due.OrderBy(d => d.Id).Select(d => d.MessageId));
        Assert.Equal("late", due.Single(d => d.MessageId == slow.Id.ToString()).Detail);
    }

    // The same for domain events: one still being committed holds the domain fan-out back rather than being stepped past.
    [Fact]
    public async Task FanOut_WithAnEarlierDomainEventStillBeingCommitted_WaitsForItAndLosesNothing()
    {
        await Engine.Webhooks.CreateAsync(Account, "http://127.0.0.1:1/a", ["domain.verified", "domain.failed"], "whsec_a", CancellationToken.None);
        const string Insert = "INSERT INTO domain_events (account_id, domain_id, domain, type, detail, created_at) VALUES (@Account, @Domain, @Name, @Type, @Type, 0)";
        await using var inFlight = new NpgsqlConnection(((PostgresStoreEngine)Engine).ConnectionString);
        await inFlight.OpenAsync();
        await using var tx = await inFlight.BeginTransactionAsync();
        await inFlight.ExecuteAsync(Insert, new { Account, Domain = "dom_slow", Name = "slow.test", Type = "domain.verified" }, tx);
        await using (var other = new NpgsqlConnection(((PostgresStoreEngine)Engine).ConnectionString))
            await other.ExecuteAsync(Insert, new { Account, Domain = "dom_fast", Name = "fast.test", Type = "domain.failed" });

        Assert.Equal(0, await Engine.Webhooks.FanOutAsync(100, CancellationToken.None));
        await tx.CommitAsync();
        Assert.Equal(2, await Engine.Webhooks.FanOutAsync(100, CancellationToken.None));

        var due = await Engine.Webhooks.LeaseAsync(10, TimeSpan.FromMinutes(1), CancellationToken.None);
        Assert.Equal(["slow.test", "fast.test"], due.OrderBy(d => d.Id).Select(d => d.Domain));
    }
}
