using System.Collections.Concurrent;
using System.Data.Common;
using EmailApi.Accounts;
using EmailApi.Feedback;
using EmailApi.Messages;
using EmailApi.Queue;
using EmailApi.Suppressions;
using EmailApi.Tests.Storage;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Queue;

/// <summary>
/// The queue store's contract, written once and run against every engine (see
/// <see cref="SqliteQueueStoreTests"/> and <see cref="PostgresQueueStoreTests"/>): each test gets a
/// fresh migrated database of its engine.
/// </summary>
public abstract class QueueStoreTests : IAsyncLifetime
{
    protected readonly FakeTimeProvider Clock = new(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));
    private StoreEngine? _engine;
    private string? _account;

    protected StoreEngine Engine => _engine ?? throw new InvalidOperationException("Not initialised.");
    protected IQueueStore Store => Engine.Queue;
    protected string Account => _account ?? throw new InvalidOperationException("Not initialised.");

    protected abstract Task<StoreEngine> CreateEngineAsync(FakeTimeProvider clock);

    public async Task InitializeAsync()
    {
        _engine = await CreateEngineAsync(Clock);
        _account = (await Engine.Accounts.CreateAccountAsync("a", AccountLimits.Unlimited, [], CancellationToken.None))!.Id;
    }

    public async Task DisposeAsync()
    {
        if (_engine is not null) await _engine.DisposeAsync();
    }

    protected NewMessage Message(params string[] recipients) => new(MessageId.New(Clock), Account, MessageSource.Api, "s@example.com",
        recipients, "Subject: x\r\n\r\nbody\r\n"u8.ToArray(), "s@example.com", "x", [], null, Clock.GetUtcNow());

    [Fact]
    public async Task Enqueue_ThenLease_ReturnsEachRecipientWithItsMessage()
    {
        var message = Message("a@one.test", "b@two.test");
        await Store.EnqueueAsync([message], CancellationToken.None);

        var lease = await Store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None);

        Assert.Equal(["a@one.test", "b@two.test"], lease.Recipients.Select(r => r.Address).Order());
        Assert.Equal(["one.test", "two.test"], lease.Recipients.Select(r => r.Domain).Order());
        Assert.Equal(message.Raw, lease.Messages[message.Id].Raw);
        Assert.Empty((await Store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None)).Recipients);
    }

    [Fact]
    public async Task Lease_SkippingFullDestinations_LeavesTheirRecipientsQueuedAndTakesTheOthers()
    {
        await Store.EnqueueAsync([Message("a@busy.test", "b@busy.test"), Message("c@busy.test")], CancellationToken.None);
        Clock.Advance(TimeSpan.FromSeconds(1));
        await Store.EnqueueAsync([Message("d@other.test")], CancellationToken.None);

        var lease = await Store.LeaseAsync(2, TimeSpan.FromMinutes(5), ["busy.test"], CancellationToken.None);
        var rest = await Store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None);

        Assert.Equal(["d@other.test"], lease.Recipients.Select(r => r.Address));
        Assert.Equal(["a@busy.test", "b@busy.test", "c@busy.test"], rest.Recipients.Select(r => r.Address).Order());
    }

    [Fact]
    public async Task Lease_AFullDestinationFillingTheHeadOfTheQueue_StillFindsTheFreshMailBehindIt()
    {
        // More of one destination's recipients at the head than a lease's window reads (a campaign to one provider).
        await EnqueueManyAsync("big.test", QueueQueries.RetryWindow(5) + 200);
        Clock.Advance(TimeSpan.FromSeconds(1));
        await Store.EnqueueAsync([Message("a@one.test"), Message("b@two.test")], CancellationToken.None);

        var lease = await Store.LeaseAsync(5, TimeSpan.FromMinutes(5), ["big.test"], CancellationToken.None);

        Assert.Equal(["a@one.test", "b@two.test"], lease.Recipients.Select(r => r.Address).Order());
        Assert.Equal(5, (await Store.LeaseAsync(5, TimeSpan.FromMinutes(5), CancellationToken.None)).Recipients.Count(r => r.Domain == "big.test"));
    }

    [Fact]
    public async Task Lease_BehindMoreFullDestinationsThanOneSearchLooksAt_ReachesTheOthersOnALaterLease()
    {
        await EnqueueManyAsync("big.test", QueueQueries.RetryWindow(5) + 200);
        var full = Enumerable.Range(0, BehindFullDestinations.DomainsPerSearch).Select(i => $"d{i:D4}.test").ToArray();
        await Store.EnqueueAsync(full.Select(d => Message($"x@{d}")).ToArray(), CancellationToken.None);
        Clock.Advance(TimeSpan.FromSeconds(1));
        await Store.EnqueueAsync([Message("z@zz.test")], CancellationToken.None);
        string[] skip = ["big.test", .. full];

        var leased = new List<string>();
        for (var i = 0; i < 3 && leased.Count == 0; i++)
            leased.AddRange((await Store.LeaseAsync(5, TimeSpan.FromMinutes(5), skip, CancellationToken.None)).Recipients.Select(r => r.Address));

        Assert.Equal(["z@zz.test"], leased);
    }

    private async Task EnqueueManyAsync(string domain, int count)
    {
        foreach (var chunk in Enumerable.Range(0, count).Chunk(100))
            await Store.EnqueueAsync([Message(chunk.Select(i => $"r{i}@{domain}").ToArray())], CancellationToken.None);
    }

    [Fact]
    public async Task Lease_WithOlderRetriesDue_TakesFreshMailFirst()
    {
        // Retries that came due long ago (Postfix's deferred queue) must not put fresh mail behind them.
        var old = Enumerable.Range(0, 5).Select(i => Message($"r{i}@deferring.test")).ToArray();
        await Store.EnqueueAsync(old, CancellationToken.None);
        var first = await Store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None);
        await Store.RecordAsync(first.Token, first.Recipients.Select(r => new RecipientResult(r.Id, r.MessageId, RecipientStatus.Deferred,
            SmtpReply.FromServer(451, "later"), "mx", Clock.GetUtcNow().AddMinutes(1))).ToArray(), [], CancellationToken.None);
        Clock.Advance(TimeSpan.FromMinutes(10));
        await Store.EnqueueAsync([Message("fresh@healthy.test")], CancellationToken.None);

        var lease = await Store.LeaseAsync(2, TimeSpan.FromMinutes(5), CancellationToken.None);

        Assert.Equal(2, lease.Recipients.Count);
        Assert.Contains("fresh@healthy.test", lease.Recipients.Select(r => r.Address));
        Assert.Equal(4, (await Store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None)).Recipients.Count);
    }

    [Fact]
    public async Task Lease_RetriesOfSkippedDestinationsAhead_StillFindsOtherRetriesWithinTheWindow()
    {
        var busy = Enumerable.Range(0, 30).Select(i => Message($"b{i}@busy.test")).ToArray();
        await Store.EnqueueAsync(busy, CancellationToken.None);
        Clock.Advance(TimeSpan.FromSeconds(1));
        await Store.EnqueueAsync([Message("x@other.test")], CancellationToken.None);
        var first = await Store.LeaseAsync(100, TimeSpan.FromMinutes(5), CancellationToken.None);
        await Store.RecordAsync(first.Token, first.Recipients.Select(r => new RecipientResult(r.Id, r.MessageId, RecipientStatus.Deferred,
            SmtpReply.FromServer(451, "later"), "mx", Clock.GetUtcNow().AddMinutes(1))).ToArray(), [], CancellationToken.None);
        Clock.Advance(TimeSpan.FromMinutes(2));

        var lease = await Store.LeaseAsync(5, TimeSpan.FromMinutes(5), ["busy.test"], CancellationToken.None);

        Assert.Equal(["x@other.test"], lease.Recipients.Select(r => r.Address));
    }

    [Fact]
    public async Task Lease_AfterLeaseExpires_HandsRecipientOutAgain()
    {
        await Store.EnqueueAsync([Message("a@one.test")], CancellationToken.None);
        var first = await Store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None);

        Clock.Advance(TimeSpan.FromMinutes(4));
        Assert.Empty((await Store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None)).Recipients);
        Clock.Advance(TimeSpan.FromMinutes(2));
        var second = await Store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None);

        Assert.Equal(first.Recipients.Single().Id, second.Recipients.Single().Id);
        Assert.NotEqual(first.Token, second.Token);
    }

    [Fact]
    public async Task Record_WithLostLease_IsIgnored()
    {
        var message = Message("a@one.test");
        await Store.EnqueueAsync([message], CancellationToken.None);
        var first = await Store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None);
        Clock.Advance(TimeSpan.FromMinutes(6));
        var second = await Store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None);
        var id = first.Recipients.Single().Id;

        await Store.RecordAsync(first.Token, [new RecipientResult(id, message.Id, RecipientStatus.Bounced, SmtpReply.FromServer(550, "late"), "mx", null)], [], CancellationToken.None);
        await Store.RecordAsync(second.Token, [new RecipientResult(id, message.Id, RecipientStatus.Delivered, SmtpReply.FromServer(250, "ok"), "mx", null)], [], CancellationToken.None);

        var view = await Engine.Log.FindAsync(Account, message.Id, CancellationToken.None);
        var recipient = Assert.Single(view!.Recipients);
        Assert.Equal(RecipientStatus.Delivered, recipient.Status);
        Assert.Equal(1, recipient.Attempts);
        Assert.Equal(["queued", "delivered"], view.Events.Select(e => e.Type));
    }

    [Fact]
    public async Task Record_Deferred_BecomesDueAtNextAttempt()
    {
        var message = Message("a@one.test");
        await Store.EnqueueAsync([message], CancellationToken.None);
        var lease = await Store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None);
        var next = Clock.GetUtcNow().AddMinutes(1);

        await Store.RecordAsync(lease.Token, [new RecipientResult(lease.Recipients[0].Id, message.Id, RecipientStatus.Deferred, SmtpReply.FromServer(451, "later"), "mx", next)], [], CancellationToken.None);

        Assert.Empty((await Store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None)).Recipients);
        Clock.Advance(TimeSpan.FromMinutes(1));
        var again = await Store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None);
        Assert.Equal(1, again.Recipients.Single().Attempts);
    }

    [Fact]
    public async Task Release_MakesLeasedRecipientsDueAtOnce()
    {
        await Store.EnqueueAsync([Message("a@one.test", "b@one.test")], CancellationToken.None);
        var lease = await Store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None);

        await Store.ReleaseAsync(lease.Token, CancellationToken.None);

        Assert.Equal(2, (await Store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None)).Recipients.Count);
    }

    [Fact]
    public async Task Lease_RespectsLimit()
    {
        await Store.EnqueueAsync(Enumerable.Range(0, 30).Select(i => Message($"r{i}@one.test")).ToArray(), CancellationToken.None);

        Assert.Equal(12, (await Store.LeaseAsync(12, TimeSpan.FromMinutes(5), CancellationToken.None)).Recipients.Count);
        Assert.Equal(18, (await Store.LeaseAsync(100, TimeSpan.FromMinutes(5), CancellationToken.None)).Recipients.Count);
    }

    [Fact]
    public async Task FindMessage_OfAnotherAccount_ReturnsNull()
    {
        var message = Message("a@one.test");
        await Store.EnqueueAsync([message], CancellationToken.None);

        Assert.Null(await Engine.Log.FindAsync("acct_other", message.Id, CancellationToken.None));
        Assert.NotNull(await Engine.Log.FindAsync(Account, message.Id, CancellationToken.None));
    }

    [Fact]
    public async Task Enqueue_BatchWithABadRow_StoresNothing()
    {
        var good = Message("a@one.test");
        var duplicate = good with { Recipients = ["b@one.test"] };   // same id: the primary key refuses it

        // SqliteException or PostgresException: both are the provider's DbException.
        await Assert.ThrowsAnyAsync<DbException>(() => Store.EnqueueAsync([good, duplicate], CancellationToken.None));

        Assert.Null(await Engine.Log.FindAsync(Account, good.Id, CancellationToken.None));
        Assert.Empty((await Store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None)).Recipients);
    }

    [Fact]
    public async Task Enqueue_StoresEnvelopeTagsMetadataAndAQueuedEventPerRecipient()
    {
        var message = Message("a@one.test", "b@two.test") with
        {
            Tags = ["orders", "eu"],
            Metadata = new Dictionary<string, string> { ["order"] = "1042" },
            Source = MessageSource.Smtp,
        };
        await Store.EnqueueAsync([message], CancellationToken.None);

        var view = await Engine.Log.FindAsync(Account, message.Id, CancellationToken.None);

        Assert.NotNull(view);
        Assert.Equal(MessageSource.Smtp, view.Source);
        Assert.Equal(["orders", "eu"], view.Tags);
        Assert.Equal("1042", view.Metadata!["order"]);
        Assert.Equal(message.Raw.LongLength, view.Size);
        Assert.Equal(message.CreatedAt, view.CreatedAt);
        Assert.Equal(["a@one.test", "b@two.test"], view.Recipients.Select(r => r.Email));
        Assert.All(view.Recipients, r => Assert.Equal(RecipientStatus.Queued, r.Status));
        Assert.Equal([("queued", "a@one.test"), ("queued", "b@two.test")], view.Events.Select(e => (e.Type, e.Recipient!)));
    }

    [Fact]
    public async Task Enqueue_Scheduled_IsNotLeasedBeforeItsTime()
    {
        var message = Message("a@one.test") with { SendAt = Clock.GetUtcNow().AddMinutes(10) };
        await Store.EnqueueAsync([message], CancellationToken.None);

        Assert.Empty((await Store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None)).Recipients);
        Clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Single((await Store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None)).Recipients);
    }

    [Fact]
    public async Task Enqueue_ToSuppressedAddressInAnyCase_RecordsSuppressedAndNeverLeases()
    {
        Assert.True(await Engine.Suppressions.AddAsync(Account, "Bad@One.test", "manual entry", SuppressionSource.Manual, CancellationToken.None));
        var message = Message("bad@one.test", "good@one.test");

        await Store.EnqueueAsync([message], CancellationToken.None);

        var view = await Engine.Log.FindAsync(Account, message.Id, CancellationToken.None);
        Assert.Equal([RecipientStatus.Suppressed, RecipientStatus.Queued], view!.Recipients.Select(r => r.Status));
        Assert.Equal("good@one.test", Assert.Single((await Store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None)).Recipients).Address);
    }

    [Fact]
    public async Task Suppressions_AddListRemove_AreCaseInsensitiveAndPaged()
    {
        Assert.True(await Engine.Suppressions.AddAsync(Account, "b@x.test", "r", SuppressionSource.Manual, CancellationToken.None));
        Assert.True(await Engine.Suppressions.AddAsync(Account, "a@x.test", "r", SuppressionSource.Manual, CancellationToken.None));
        Assert.True(await Engine.Suppressions.AddAsync(Account, "c@x.test", "r", SuppressionSource.Manual, CancellationToken.None));
        Assert.False(await Engine.Suppressions.AddAsync(Account, "A@X.test", "again", SuppressionSource.Manual, CancellationToken.None));

        var first = await Engine.Suppressions.ListAsync(Account, null, 2, CancellationToken.None);
        var rest = await Engine.Suppressions.ListAsync(Account, first[^1].Address, 2, CancellationToken.None);

        Assert.Equal(["a@x.test", "b@x.test"], first.Select(s => s.Address));
        Assert.Equal(["c@x.test"], rest.Select(s => s.Address));
        Assert.All(first, s => Assert.Equal("manual", s.Source));
        Assert.Empty(await Engine.Suppressions.ListAsync("acct_other", null, 10, CancellationToken.None));
        Assert.True(await Engine.Suppressions.RemoveAsync(Account, "B@x.TEST", CancellationToken.None));
        Assert.False(await Engine.Suppressions.RemoveAsync(Account, "b@x.test", CancellationToken.None));
    }

    [Fact]
    public async Task Record_HardBounceWithSuppress_SuppressesTheAddressAndStoresTheNotification()
    {
        var message = Message("gone@one.test");
        await Store.EnqueueAsync([message], CancellationToken.None);
        var lease = await Store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None);
        var dsn = Message("s@example.com") with { Source = MessageSource.Dsn, EnvelopeFrom = "" };

        await Store.RecordAsync(lease.Token,
            [new RecipientResult(lease.Recipients[0].Id, message.Id, RecipientStatus.Bounced, SmtpReply.FromServer(550, "5.1.1 no such user"), "mx.one.test", null, Suppress: true)],
            [dsn], CancellationToken.None);

        var suppression = Assert.Single(await Engine.Suppressions.ListAsync(Account, null, 10, CancellationToken.None));
        Assert.Equal(("gone@one.test", "bounce", "550 5.1.1 no such user"), (suppression.Address, suppression.Source, suppression.Reason));
        var view = await Engine.Log.FindAsync(Account, message.Id, CancellationToken.None);
        Assert.Equal(RecipientStatus.Bounced, view!.Recipients.Single().Status);
        Assert.Equal("mx.one.test", view.Events[^1].Mx);
        Assert.Equal(MessageSource.Dsn, (await Engine.Log.FindAsync(Account, dsn.Id, CancellationToken.None))!.Source);
    }

    [Fact]
    public async Task Record_ManyJobsInOneCall_EachHeldLeaseRecorded_ALostOneSkippedWithItsNotification()
    {
        var stale = Message("late@one.test");
        await Store.EnqueueAsync([stale], CancellationToken.None);
        var lost = await Store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None);
        Clock.Advance(TimeSpan.FromMinutes(6));
        var retaken = await Store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None);
        var fresh = Message("gone@two.test", "ok@three.test");
        await Store.EnqueueAsync([fresh], CancellationToken.None);
        var current = await Store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None);
        var gone = current.Recipients.Single(r => r.Address == "gone@two.test");
        var ok = current.Recipients.Single(r => r.Address == "ok@three.test");
        var lostDsn = Message("s@example.com") with { Source = MessageSource.Dsn, EnvelopeFrom = "" };
        var heldDsn = Message("s@example.com") with { Source = MessageSource.Dsn, EnvelopeFrom = "" };

        // Four jobs in one transaction: the lost lease's comes first, two jobs share one lease.
        await Store.RecordAsync([
            new LeaseResults(lost.Token, [new RecipientResult(lost.Recipients.Single().Id, stale.Id, RecipientStatus.Bounced, SmtpReply.FromServer(550, "5.1.1 late"), "mx", null, Suppress: true)], [lostDsn]),
            new LeaseResults(current.Token, [new RecipientResult(gone.Id, fresh.Id, RecipientStatus.Bounced, SmtpReply.FromServer(550, "5.1.1 no such user"), "mx.two.test", null, Suppress: true)], [heldDsn]),
            new LeaseResults(current.Token, [new RecipientResult(ok.Id, fresh.Id, RecipientStatus.Delivered, SmtpReply.FromServer(250, "2.0.0 ok"), "mx.three.test", null)], []),
            new LeaseResults(retaken.Token, [new RecipientResult(retaken.Recipients.Single().Id, stale.Id, RecipientStatus.Delivered, SmtpReply.FromServer(250, "2.0.0 ok"), "mx.one.test", null)], []),
        ], CancellationToken.None);

        var staleView = await Engine.Log.FindAsync(Account, stale.Id, CancellationToken.None);
        Assert.Equal((RecipientStatus.Delivered, 1), (staleView!.Recipients.Single().Status, staleView.Recipients.Single().Attempts));
        Assert.DoesNotContain(staleView.Events, e => e.Type == "bounced");
        var freshView = await Engine.Log.FindAsync(Account, fresh.Id, CancellationToken.None);
        Assert.Equal(RecipientStatus.Bounced, freshView!.Recipients.Single(r => r.Email == "gone@two.test").Status);
        Assert.Equal(RecipientStatus.Delivered, freshView.Recipients.Single(r => r.Email == "ok@three.test").Status);
        Assert.Equal("gone@two.test", Assert.Single(await Engine.Suppressions.ListAsync(Account, null, 10, CancellationToken.None)).Address);
        Assert.Null(await Engine.Log.FindAsync(Account, lostDsn.Id, CancellationToken.None));
        Assert.Equal(MessageSource.Dsn, (await Engine.Log.FindAsync(Account, heldDsn.Id, CancellationToken.None))!.Source);
        Assert.DoesNotContain((await Store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None)).Recipients, r => r.MessageId != heldDsn.Id);
    }

    [Fact]
    public async Task Record_WithLostLease_StoresNoNotification()
    {
        var message = Message("gone@one.test");
        await Store.EnqueueAsync([message], CancellationToken.None);
        var lease = await Store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None);
        Clock.Advance(TimeSpan.FromMinutes(6));
        await Store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None);
        var dsn = Message("s@example.com") with { Source = MessageSource.Dsn };

        await Store.RecordAsync(lease.Token, [new RecipientResult(lease.Recipients[0].Id, message.Id, RecipientStatus.Bounced, SmtpReply.FromServer(550, ""), "mx", null)], [dsn], CancellationToken.None);

        Assert.Null(await Engine.Log.FindAsync(Account, dsn.Id, CancellationToken.None));
    }

    [Fact]
    public async Task Postpone_GivesRecipientsBackWithoutAnAttempt()
    {
        var message = Message("a@one.test", "b@one.test");
        await Store.EnqueueAsync([message], CancellationToken.None);
        var lease = await Store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None);

        await Store.PostponeAsync(lease.Token, [lease.Recipients[0].Id], Clock.GetUtcNow().AddSeconds(30), CancellationToken.None);

        Assert.Empty((await Store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None)).Recipients);
        Clock.Advance(TimeSpan.FromSeconds(30));
        var again = Assert.Single((await Store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None)).Recipients);
        Assert.Equal((lease.Recipients[0].Id, 0), (again.Id, again.Attempts));
    }

    [Fact]
    public async Task CountLive_CountsQueuedDeferredAndSending()
    {
        await Store.EnqueueAsync([Message("a@one.test", "b@one.test", "c@one.test")], CancellationToken.None);
        var lease = await Store.LeaseAsync(2, TimeSpan.FromMinutes(5), CancellationToken.None);
        await Store.RecordAsync(lease.Token, [new RecipientResult(lease.Recipients[0].Id, lease.Recipients[0].MessageId, RecipientStatus.Deferred, SmtpReply.FromServer(451, ""), "mx",
            Clock.GetUtcNow().AddMinutes(5))], [], CancellationToken.None);

        var counts = await Engine.Counts.CountLiveAsync(CancellationToken.None);

        Assert.Equal(1, counts[RecipientStatus.Queued]);
        Assert.Equal(1, counts[RecipientStatus.Deferred]);
        Assert.Equal(1, counts[RecipientStatus.Sending]);
    }

    [Fact]
    public async Task Lease_FromSeveralSendersAtOnce_HandsEachRecipientToExactlyOne()
    {
        const int total = 600;
        await Store.EnqueueAsync(Enumerable.Range(0, total / 3).Select(i => Message($"a{i}@one.test", $"b{i}@two.test", $"c{i}@three.test")).ToArray(),
            CancellationToken.None);
        var nodes = Enumerable.Range(0, 4).Select(_ => Engine.OpenAnotherNode(Clock)).ToArray();
        var taken = new ConcurrentBag<(int Node, long Id)>();

        await Task.WhenAll(nodes.Select((node, n) => Task.Run(async () =>
        {
            // Bounded: 600 recipients need at most 600 non-empty leases in all.
            for (var round = 0; round < total; round++)
            {
                var lease = await node.LeaseAsync(7, TimeSpan.FromMinutes(5), CancellationToken.None);
                if (lease.Recipients.Count == 0) break;
                foreach (var r in lease.Recipients) taken.Add((n, r.Id));
            }
        })));

        var ids = taken.Select(t => t.Id).ToArray();
        Assert.Equal(total, ids.Length);
        Assert.Equal(total, ids.Distinct().Count());
    }

    [Fact]
    public async Task Lease_OfACrashedSender_IsTakenOverByAnotherOnceItExpires()
    {
        var message = Message("a@one.test");
        await Store.EnqueueAsync([message], CancellationToken.None);
        var crashed = await Store.LeaseAsync(10, TimeSpan.FromMinutes(1), CancellationToken.None);
        var other = Engine.OpenAnotherNode(Clock);

        Assert.Empty((await other.LeaseAsync(10, TimeSpan.FromMinutes(1), CancellationToken.None)).Recipients);
        Clock.Advance(TimeSpan.FromMinutes(1));
        var taken = await other.LeaseAsync(10, TimeSpan.FromMinutes(1), CancellationToken.None);
        await other.RecordAsync(taken.Token, [new RecipientResult(taken.Recipients.Single().Id, message.Id, RecipientStatus.Delivered, SmtpReply.FromServer(250, "ok"), "mx", null)], [],
            CancellationToken.None);
        // The crashed node's late result (had it come back) changes nothing.
        await Store.RecordAsync(crashed.Token, [new RecipientResult(crashed.Recipients.Single().Id, message.Id, RecipientStatus.Deferred, SmtpReply.FromServer(451, ""), "mx",
            Clock.GetUtcNow())], [], CancellationToken.None);

        var recipient = (await Engine.Log.FindAsync(Account, message.Id, CancellationToken.None))!.Recipients.Single();
        Assert.Equal((RecipientStatus.Delivered, 1), (recipient.Status, recipient.Attempts));
    }

    /// <summary>Enqueues, leases and records <paramref name="status"/> for one recipient; returns the row an inbound report's token would name.</summary>
    private async Task<SentRecipient> RecipientAfterAttemptAsync(string address, RecipientStatus status)
    {
        var message = Message(address);
        await Store.EnqueueAsync([message], CancellationToken.None);
        var lease = await Store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None);
        var id = lease.Recipients.Single().Id;
        await Store.RecordAsync(lease.Token, [new RecipientResult(id, message.Id, status, status == RecipientStatus.Delivered ? SmtpReply.FromServer(250, "2.0.0 ok") : SmtpReply.FromServer(451, "4.3.0 later"), "mx.one.test",
            status == RecipientStatus.Deferred ? Clock.GetUtcNow().AddHours(1) : null)], [], CancellationToken.None);
        return (await Engine.Feedback.FindRecipientAsync(message.Id, id, CancellationToken.None))!;
    }

    private FeedbackChange Bounce(SentRecipient r, string? suppress = "bounce") => new(r, "rep-1", RecipientStatus.Bounced,
        "smtp; 550 5.1.1 user unknown", """{"reportId":"rep-1","reportingMta":"mta.remote.test","status":"5.1.1"}""", suppress, Clock.GetUtcNow());

    [Fact]
    public async Task ApplyFeedback_BounceOfADeliveredRecipient_BouncesItAsyncWithAnEventAndSuppresses()
    {
        var sent = await RecipientAfterAttemptAsync("gone@one.test", RecipientStatus.Delivered);

        var applied = await Engine.Feedback.ApplyAsync(Bounce(sent), CancellationToken.None);

        Assert.Equal(new FeedbackApplied(true, true), applied);
        var view = (await Engine.Log.FindAsync(Account, sent.MessageId, CancellationToken.None))!;
        var recipient = view.Recipients.Single();
        Assert.Equal((RecipientStatus.Bounced, true, "smtp; 550 5.1.1 user unknown"), (recipient.Status, recipient.Async, recipient.LastResponse));
        var last = view.Events[^1];
        Assert.Equal(("bounced", "gone@one.test"), (last.Type, last.Recipient));
        Assert.Contains("mta.remote.test", last.Report);
        Assert.Null(view.Events[^2].Report);   // the delivery itself was ours
        var suppression = Assert.Single(await Engine.Suppressions.ListAsync(Account, null, 10, CancellationToken.None));
        Assert.Equal(("gone@one.test", "bounce", "feedback"), (suppression.Address, suppression.Reason, suppression.Source));
        // The message log shows the asynchronous bounce too.
        var listed = Assert.Single(await Engine.Log.ListAsync(Account, new MessageFilter(RecipientStatus.Bounced, null, null, null, null, null), null, 10, CancellationToken.None));
        Assert.True(listed.Recipients.Single().Async);
    }

    [Fact]
    public async Task ApplyFeedback_SameReportTwice_ChangesOnceAndLogsOneEvent()
    {
        var sent = await RecipientAfterAttemptAsync("gone@one.test", RecipientStatus.Delivered);

        await Engine.Feedback.ApplyAsync(Bounce(sent), CancellationToken.None);
        var again = await Engine.Feedback.ApplyAsync(Bounce(sent), CancellationToken.None);

        Assert.Equal(new FeedbackApplied(false, false), again);
        var view = (await Engine.Log.FindAsync(Account, sent.MessageId, CancellationToken.None))!;
        Assert.Single(view.Events, e => e.Type == "bounced");
    }

    [Fact]
    public async Task ApplyFeedback_ComplaintOfADeliveredRecipient_MarksItComplained()
    {
        var sent = await RecipientAfterAttemptAsync("angry@one.test", RecipientStatus.Delivered);

        var applied = await Engine.Feedback.ApplyAsync(new FeedbackChange(sent, "rep-2", RecipientStatus.Complained, "Complaint (abuse) reported by isp.test",
            """{"feedbackType":"abuse"}""", "complaint", Clock.GetUtcNow()), CancellationToken.None);

        Assert.Equal(new FeedbackApplied(true, true), applied);
        var view = (await Engine.Log.FindAsync(Account, sent.MessageId, CancellationToken.None))!;
        Assert.Equal((RecipientStatus.Complained, true), (view.Recipients.Single().Status, view.Recipients.Single().Async));
        Assert.Equal(("complained", """{"feedbackType":"abuse"}"""), (view.Events[^1].Type, view.Events[^1].Report));
    }

    [Fact]
    public async Task ApplyFeedback_ToARecipientStillWaiting_KeepsItsStatusButSuppresses()
    {
        var sent = await RecipientAfterAttemptAsync("later@one.test", RecipientStatus.Deferred);

        var applied = await Engine.Feedback.ApplyAsync(Bounce(sent), CancellationToken.None);

        Assert.Equal(new FeedbackApplied(false, true), applied);
        var view = (await Engine.Log.FindAsync(Account, sent.MessageId, CancellationToken.None))!;
        Assert.Equal((RecipientStatus.Deferred, false), (view.Recipients.Single().Status, view.Recipients.Single().Async));
        Assert.DoesNotContain(view.Events, e => e.Type == "bounced");
    }

    [Fact]
    public async Task ApplyFeedback_WhileTheSenderStillHoldsTheRecipient_WinsAndTheLateRecordChangesNothing()
    {
        var message = Message("fast@one.test");
        await Store.EnqueueAsync([message], CancellationToken.None);
        var lease = await Store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None);
        var sent = (await Engine.Feedback.FindRecipientAsync(message.Id, lease.Recipients.Single().Id, CancellationToken.None))!;

        Assert.True((await Engine.Feedback.ApplyAsync(Bounce(sent, suppress: null), CancellationToken.None)).StatusChanged);
        await Store.RecordAsync(lease.Token, [new RecipientResult(sent.RecipientId, message.Id, RecipientStatus.Delivered, SmtpReply.FromServer(250, "ok"), "mx", null)], [], CancellationToken.None);

        var recipient = (await Engine.Log.FindAsync(Account, message.Id, CancellationToken.None))!.Recipients.Single();
        Assert.Equal((RecipientStatus.Bounced, true), (recipient.Status, recipient.Async));
        Assert.Empty(await Engine.Suppressions.ListAsync(Account, null, 10, CancellationToken.None));
    }

    /// <summary>A bounce of <paramref name="sent"/> with the notification the feedback processor builds for it.</summary>
    private async Task<FeedbackChange> BounceWithNotificationAsync(SentRecipient sent)
    {
        var original = (await Engine.Feedback.MessageAsync(sent.MessageId, CancellationToken.None))!;
        var reported = new ReportedRecipient(sent.Address, "failed", "5.1.1", "550 5.1.1 user unknown", "mx.one.test", BounceKind.Hard);
        return Bounce(sent) with { Notification = LateBounceNotification.Create(original, sent.Address, reported, "relay.test", Clock) };
    }

    private Task<IReadOnlyList<MessageSummary>> NotificationsAsync() =>
        Engine.Log.ListAsync(Account, new MessageFilter(null, null, null, MessageSource.Dsn, null, null), null, 10, CancellationToken.None);

    [Fact]
    public async Task ApplyFeedback_BounceWithANotification_QueuesItWithTheChange_OnlyOnce()
    {
        var sent = await RecipientAfterAttemptAsync("gone@one.test", RecipientStatus.Delivered);
        var change = await BounceWithNotificationAsync(sent);

        var applied = await Engine.Feedback.ApplyAsync(change, CancellationToken.None);
        var again = await Engine.Feedback.ApplyAsync(await BounceWithNotificationAsync(sent), CancellationToken.None);

        Assert.Equal(new FeedbackApplied(true, true, true), applied);
        Assert.Equal(new FeedbackApplied(false, false, false), again);
        var dsn = Assert.Single(await NotificationsAsync());
        Assert.Equal(change.Notification!.Id, dsn.Id);
        var view = (await Engine.Log.FindAsync(Account, dsn.Id, CancellationToken.None))!;
        Assert.Equal(("", "bounce", sent.MessageId.ToString()), (view.EnvelopeFrom, Assert.Single(view.Tags), view.Metadata!["originalMessageId"]));
        Assert.Equal(("s@example.com", RecipientStatus.Queued), (view.Recipients.Single().Email, view.Recipients.Single().Status));
        // The sender takes it like any queued message.
        var lease = await Store.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None);
        Assert.Equal(dsn.Id, lease.Recipients.Single().MessageId);
        Assert.Equal(MessageSource.Dsn, lease.Messages[dsn.Id].Source);
    }

    [Fact]
    public async Task ApplyFeedback_NodesRacingOnOneBounce_QueueOneNotification()
    {
        var sent = await RecipientAfterAttemptAsync("gone@one.test", RecipientStatus.Delivered);
        var changes = new List<FeedbackChange>();
        for (var i = 0; i < 6; i++) changes.Add(await BounceWithNotificationAsync(sent));

        var applied = await Task.WhenAll(changes.Select(c => Task.Run(() => Engine.Feedback.ApplyAsync(c, CancellationToken.None))));

        Assert.Single(applied, a => a.StatusChanged);
        Assert.Single(applied, a => a.Notified);
        Assert.Single(await NotificationsAsync());
    }

    [Fact]
    public async Task ApplyFeedback_NotificationForARecipientStillWaiting_IsNotQueued()
    {
        var sent = await RecipientAfterAttemptAsync("later@one.test", RecipientStatus.Deferred);

        var applied = await Engine.Feedback.ApplyAsync(await BounceWithNotificationAsync(sent), CancellationToken.None);

        Assert.Equal(new FeedbackApplied(false, true, false), applied);
        Assert.Empty(await NotificationsAsync());
    }

    [Fact]
    public async Task FeedbackMessage_TheOriginalWithItsContent_EmptyOnceRetentionDroppedIt()
    {
        var sent = await RecipientAfterAttemptAsync("gone@one.test", RecipientStatus.Delivered);

        var original = (await Engine.Feedback.MessageAsync(sent.MessageId, CancellationToken.None))!;
        Clock.Advance(TimeSpan.FromDays(1));
        await Engine.Retention.PruneBodiesAsync(Clock.GetUtcNow(), 100, CancellationToken.None);
        var pruned = (await Engine.Feedback.MessageAsync(sent.MessageId, CancellationToken.None))!;

        Assert.Equal((Account, MessageSource.Api, "s@example.com"), (original.AccountId, original.Source, original.EnvelopeFrom));
        Assert.Equal("Subject: x\r\n\r\nbody\r\n"u8.ToArray(), original.Raw);
        Assert.Empty(pruned.Raw);
        Assert.Null(await Engine.Feedback.MessageAsync(MessageId.New(Clock), CancellationToken.None));
        Assert.Equal((MessageSource.Api, "s@example.com"), (sent.Source, sent.EnvelopeFrom));
    }
}
