using EmailApi.Accounts;
using EmailApi.Feedback;
using EmailApi.Queue;
using EmailApi.Storage;
using EmailApi.TestKit;
using EmailApi.Tests.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Queue;

[Collection(PostgresCollection.Name)]
public sealed class PostgresQueueListenerTests(PostgresServer server)
{
    [Fact]
    public async Task Enqueue_OnAnotherNode_WakesThisNodesSender()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var engine = await PostgresStoreEngine.CreateAsync(server, clock, CancellationToken.None);
        var account = (await engine.Accounts.CreateAccountAsync("a", AccountLimits.Unlimited, [], CancellationToken.None))!.Id;
        await using var listenerDb = new PostgresDb(engine.ConnectionString);
        var signal = new QueueSignal();
        using var listener = new PostgresQueueListener(listenerDb, signal, clock, NullLogger<PostgresQueueListener>.Instance);
        await listener.StartAsync(CancellationToken.None);
        // The listener signals once when it (re)connects, since it may have missed work meanwhile.
        Assert.True(await signal.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None));
        Assert.False(await signal.WaitAsync(TimeSpan.FromMilliseconds(200), CancellationToken.None));

        await engine.OpenAnotherNode(clock).EnqueueAsync([new NewMessage(MessageId.New(clock), account, MessageSource.Api, "s@example.com", ["a@one.test"],
            "Subject: x\r\n\r\nbody\r\n"u8.ToArray(), null, null, [], null, clock.GetUtcNow())], CancellationToken.None);

        Assert.True(await signal.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None));
        await listener.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task LateBounceNotification_QueuedByAnotherNodesFeedbackStore_WakesThisNodesSender()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var engine = await PostgresStoreEngine.CreateAsync(server, clock, CancellationToken.None);
        var account = (await engine.Accounts.CreateAccountAsync("a", AccountLimits.Unlimited, [], CancellationToken.None))!.Id;
        var original = new NewMessage(MessageId.New(clock), account, MessageSource.Smtp, "s@example.com", ["a@one.test"],
            "Subject: x\r\n\r\nbody\r\n"u8.ToArray(), null, null, [], null, clock.GetUtcNow());
        await engine.Queue.EnqueueAsync([original], CancellationToken.None);
        var lease = await engine.Queue.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None);
        await engine.Queue.RecordAsync(lease.Token, [new RecipientResult(lease.Recipients.Single().Id, original.Id, RecipientStatus.Delivered, SmtpReply.FromServer(250, "ok"), "mx", null)],
            [], CancellationToken.None);
        var sent = (await engine.Feedback.FindRecipientAsync(original.Id, lease.Recipients.Single().Id, CancellationToken.None))!;
        await using var listenerDb = new PostgresDb(engine.ConnectionString);
        var signal = new QueueSignal();
        using var listener = new PostgresQueueListener(listenerDb, signal, clock, NullLogger<PostgresQueueListener>.Instance);
        await listener.StartAsync(CancellationToken.None);
        Assert.True(await signal.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None));   // the signal on (re)connecting
        Assert.False(await signal.WaitAsync(TimeSpan.FromMilliseconds(200), CancellationToken.None));

        var notification = LateBounceNotification.Create((await engine.Feedback.MessageAsync(original.Id, CancellationToken.None))!, sent.Address,
            new ReportedRecipient(sent.Address, "failed", "5.1.1", "550 5.1.1 user unknown", null, BounceKind.Hard), "relay.test", clock);
        var applied = await engine.Feedback.ApplyAsync(new FeedbackChange(sent, "rep-1", RecipientStatus.Bounced, "550 5.1.1 user unknown", "{}", null, clock.GetUtcNow(), notification),
            CancellationToken.None);

        Assert.True(applied.Notified);
        Assert.True(await signal.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None));
        await listener.StopAsync(CancellationToken.None);
    }
}
