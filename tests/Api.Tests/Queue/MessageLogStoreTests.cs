using EmailApi.Accounts;
using EmailApi.Queue;
using EmailApi.Tests.Storage;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Queue;

/// <summary>The message log's filters, keyset pages and cancellation on every engine.</summary>
public abstract class MessageLogStoreTests : IAsyncLifetime
{
    private static readonly MessageFilter All = new(null, null, null, null, null, null);
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));
    private StoreEngine? _engine;
    private string _account = "";

    private StoreEngine Engine => _engine ?? throw new InvalidOperationException("Not initialised.");

    protected abstract Task<StoreEngine> CreateEngineAsync(FakeTimeProvider clock);

    public async Task InitializeAsync()
    {
        _engine = await CreateEngineAsync(_clock);
        _account = (await Engine.Accounts.CreateAccountAsync("a", AccountLimits.Unlimited, [], CancellationToken.None))!.Id;
    }

    public async Task DisposeAsync()
    {
        if (_engine is not null) await _engine.DisposeAsync();
    }

    private async Task<NewMessage> SendAsync(string[] recipients, string[]? tags = null, MessageSource source = MessageSource.Api, string? account = null)
    {
        _clock.Advance(TimeSpan.FromSeconds(1));
        var message = new NewMessage(MessageId.New(_clock), account ?? _account, source, "s@example.com", recipients,
            "Subject: x\r\n\r\nbody\r\n"u8.ToArray(), "s@example.com", "x", tags ?? [], null, _clock.GetUtcNow());
        await Engine.Queue.EnqueueAsync([message], CancellationToken.None);
        return message;
    }

    private Task<IReadOnlyList<MessageSummary>> ListAsync(MessageFilter filter, MessageId? before = null, int limit = 50) =>
        Engine.Log.ListAsync(_account, filter, before, limit, CancellationToken.None);

    [Fact]
    public async Task List_NewestFirst_InKeysetPagesThatNewArrivalsDoNotShift()
    {
        var sent = new List<NewMessage>();
        for (var i = 0; i < 5; i++) sent.Add(await SendAsync([$"r{i}@one.test"]));

        var first = await ListAsync(All, limit: 2);
        await SendAsync(["late@one.test"]);
        var second = await ListAsync(All, first[^1].Id, 2);
        var third = await ListAsync(All, second[^1].Id, 2);

        Assert.Equal(sent.AsEnumerable().Reverse().Select(m => m.Id), first.Concat(second).Concat(third).Select(s => s.Id));
        Assert.Equal("r4@one.test", first[0].Recipients.Single().Email);
    }

    [Fact]
    public async Task List_MessagesAcceptedInOneMillisecond_NewestFirstInAcceptanceOrder_EvenAfterTheClockStepsBack()
    {
        _clock.Advance(TimeSpan.FromSeconds(1));
        var ids = new SteppingClock(_clock.GetUtcNow());   // the store's clock stands still; the ids' clock also steps back
        var accepted = new List<MessageId>();
        for (var batch = 0; batch < 4; batch++)
        {
            if (batch == 2) ids.Now -= TimeSpan.FromMinutes(10);   // an NTP step back mid-stream
            var messages = Enumerable.Range(0, 50).Select(i => new NewMessage(MessageId.New(ids), _account, MessageSource.Api, "s@example.com",
                [$"r{batch}.{i}@one.test"], "Subject: x\r\n\r\nbody\r\n"u8.ToArray(), "s@example.com", "x", [], null, _clock.GetUtcNow())).ToArray();
            await Engine.Queue.EnqueueAsync(messages, CancellationToken.None);
            accepted.AddRange(messages.Select(m => m.Id));
        }

        var listed = new List<MessageId>();
        MessageId? before = null;
        while (await ListAsync(All, before, 30) is { Count: > 0 } page)
        {
            listed.AddRange(page.Select(s => s.Id));
            before = page[^1].Id;
        }

        Assert.Equal(accepted.AsEnumerable().Reverse(), listed);
    }

    [Fact]
    public async Task List_ByRecipientInAnyCase_TagSourceAndStatus()
    {
        var tagged = await SendAsync(["Ana@One.test", "bo@one.test"], ["orders"]);
        var viaSmtp = await SendAsync(["ana@one.test"], source: MessageSource.Smtp);
        var other = await SendAsync(["cy@one.test"], ["news"]);
        var lease = await Engine.Queue.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None);
        var cy = lease.Recipients.Single(r => r.Address == "cy@one.test");
        await Engine.Queue.RecordAsync(lease.Token, [new RecipientResult(cy.Id, other.Id, RecipientStatus.Delivered, SmtpReply.FromServer(250, "ok"), "mx", null)], [], CancellationToken.None);

        Assert.Equal([viaSmtp.Id, tagged.Id], (await ListAsync(All with { Recipient = "ANA@one.TEST" })).Select(s => s.Id));
        Assert.Equal([tagged.Id], (await ListAsync(All with { Tag = "orders" })).Select(s => s.Id));
        Assert.Equal([viaSmtp.Id], (await ListAsync(All with { Source = MessageSource.Smtp })).Select(s => s.Id));
        Assert.Equal([other.Id], (await ListAsync(All with { Status = RecipientStatus.Delivered })).Select(s => s.Id));
        Assert.Equal([viaSmtp.Id, tagged.Id], (await ListAsync(All with { Status = RecipientStatus.Sending, Recipient = "ana@one.test" })).Select(s => s.Id));
        Assert.Equal([tagged.Id], (await ListAsync(All with { Status = RecipientStatus.Sending, Tag = "orders" })).Select(s => s.Id));
        Assert.Equal(["orders"], (await ListAsync(All with { Tag = "orders" })).Single().Tags);
    }

    [Fact]
    public async Task List_SinceAndUntil_BoundTheAcceptanceTime()
    {
        var early = await SendAsync(["a@one.test"]);
        var middle = await SendAsync(["b@one.test"]);
        var late = await SendAsync(["c@one.test"]);

        var window = await ListAsync(All with { Since = middle.CreatedAt, Until = late.CreatedAt });

        Assert.Equal([middle.Id], window.Select(s => s.Id));
        Assert.DoesNotContain(early.Id, window.Select(s => s.Id));
    }

    [Fact]
    public async Task List_NeverShowsAnotherAccountsMessages()
    {
        var other = (await Engine.Accounts.CreateAccountAsync("b", AccountLimits.Unlimited, [], CancellationToken.None))!.Id;
        await SendAsync(["a@one.test"], ["t"], account: other);

        Assert.Empty(await ListAsync(All));
        Assert.Empty(await ListAsync(All with { Tag = "t" }));
        Assert.Empty(await ListAsync(All with { Recipient = "a@one.test" }));
        Assert.Empty(await ListAsync(All with { Status = RecipientStatus.Queued }));
    }

    [Fact]
    public async Task Cancel_WithdrawsOnlyRecipientsNoSenderHolds()
    {
        var message = await SendAsync(["a@one.test"]);
        await Engine.Queue.LeaseAsync(1, TimeSpan.FromMinutes(5), CancellationToken.None);
        var scheduled = new NewMessage(MessageId.New(_clock), _account, MessageSource.Api, "s@example.com", ["b@one.test", "c@one.test"],
            "Subject: x\r\n\r\nbody\r\n"u8.ToArray(), null, null, [], null, _clock.GetUtcNow(), null, _clock.GetUtcNow().AddHours(1));
        await Engine.Queue.EnqueueAsync([scheduled], CancellationToken.None);

        var leased = Assert.IsType<CancelOutcome.Cancelled>(await Engine.Log.CancelAsync(_account, message.Id, CancellationToken.None));
        var cancelled = Assert.IsType<CancelOutcome.Cancelled>(await Engine.Log.CancelAsync(_account, scheduled.Id, CancellationToken.None));

        Assert.Empty(leased.Recipients);
        Assert.Equal(["b@one.test", "c@one.test"], cancelled.Recipients.Order());
        Assert.IsType<CancelOutcome.NotFound>(await Engine.Log.CancelAsync("acct_other", scheduled.Id, CancellationToken.None));
        var view = await Engine.Queue.FindMessageAsync(_account, scheduled.Id, CancellationToken.None);
        Assert.All(view!.Recipients, r => Assert.Equal(RecipientStatus.Cancelled, r.Status));
        Assert.Equal(2, view.Events.Count(e => e.Type == "cancelled"));
        _clock.Advance(TimeSpan.FromHours(2));
        // Only the first message's recipient comes back (its lease ran out); the cancelled ones never do.
        Assert.Equal(["a@one.test"], (await Engine.Queue.LeaseAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None)).Recipients.Select(r => r.Address));
    }
}
