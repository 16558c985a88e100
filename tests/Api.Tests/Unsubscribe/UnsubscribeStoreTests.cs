using EmailApi.Accounts;
using EmailApi.Queue;
using EmailApi.Tests.Storage;
using EmailApi.Unsubscribe;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Unsubscribe;

/// <summary>The unsubscribe store's contract on every engine.</summary>
public abstract class UnsubscribeStoreTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
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

    [Fact]
    public async Task Secret_FirstStoredWins_ForEveryLaterCaller()
    {
        var first = await Engine.Unsubscribe.SecretAsync("k", "one", _clock.GetUtcNow(), CancellationToken.None);
        var second = await Engine.Unsubscribe.SecretAsync("k", "two", _clock.GetUtcNow(), CancellationToken.None);

        Assert.Equal(("one", "one"), (first, second));
    }

    [Fact]
    public async Task Find_OnlyAMessageWithOneRecipient()
    {
        var one = await SendAsync("Ann@one.test");
        var two = await SendAsync("a@one.test", "b@one.test");

        var target = await Engine.Unsubscribe.FindAsync(one.Id.ToString(), CancellationToken.None);
        Assert.Equal((_account, one.Id.ToString(), "Ann@one.test"), (target!.AccountId, target.MessageId, target.Address));
        Assert.Null(await Engine.Unsubscribe.FindAsync(two.Id.ToString(), CancellationToken.None));
        Assert.Null(await Engine.Unsubscribe.FindAsync(MessageId.New(_clock).ToString(), CancellationToken.None));
    }

    [Fact]
    public async Task Suppress_Once_LogsOneEvent_AndLaterMailToTheAddressIsSuppressed()
    {
        var first = await SendAsync("Ann@one.test");
        var target = (await Engine.Unsubscribe.FindAsync(first.Id.ToString(), CancellationToken.None))!;

        Assert.True(await Engine.Unsubscribe.SuppressAsync(target, "https", _clock.GetUtcNow(), CancellationToken.None));
        Assert.False(await Engine.Unsubscribe.SuppressAsync(target, "mailto", _clock.GetUtcNow(), CancellationToken.None));

        var events = (await Engine.Log.FindAsync(_account, first.Id, CancellationToken.None))!.Events;
        var unsubscribed = Assert.Single(events, e => e.Type == "unsubscribed");
        Assert.Equal(("Ann@one.test", "Unsubscribed via https"), (unsubscribed.Recipient, unsubscribed.Detail));
        var entry = Assert.Single(await Engine.Suppressions.ListAsync(_account, null, 10, CancellationToken.None));
        Assert.Equal(("ann@one.test", "unsubscribed", "unsubscribe"), (entry.Address, entry.Reason, entry.Source));
        var next = await SendAsync("ann@one.test");
        Assert.Equal(RecipientStatus.Suppressed, Assert.Single((await Engine.Log.FindAsync(_account, next.Id, CancellationToken.None))!.Recipients).Status);
    }

    private async Task<NewMessage> SendAsync(params string[] recipients)
    {
        var message = new NewMessage(MessageId.New(_clock), _account, MessageSource.Api, "s@example.com", recipients,
            "Subject: x\r\n\r\nbody\r\n"u8.ToArray(), "s@example.com", "x", [], null, _clock.GetUtcNow());
        await Engine.Queue.EnqueueAsync([message], CancellationToken.None);
        return message;
    }
}
