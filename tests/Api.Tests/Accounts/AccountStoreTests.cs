using EmailApi.Accounts;
using EmailApi.Tests.Storage;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Accounts;

/// <summary>The account store's contract on every engine.</summary>
public abstract class AccountStoreTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));
    private StoreEngine? _engine;

    private IAccountStore Store => (_engine ?? throw new InvalidOperationException("Not initialised.")).Accounts;

    protected abstract Task<StoreEngine> CreateEngineAsync(FakeTimeProvider clock);

    public async Task InitializeAsync() => _engine = await CreateEngineAsync(_clock);

    public async Task DisposeAsync()
    {
        if (_engine is not null) await _engine.DisposeAsync();
    }

    [Fact]
    public async Task CreateAccount_ThenFind_ByIdAndName()
    {
        Assert.False(await Store.AnyAccountAsync(CancellationToken.None));
        var created = await Store.CreateAccountAsync("shop", new AccountLimits(1000, 100, 10), ["shop.test", "mail.shop.test"], CancellationToken.None);

        Assert.NotNull(created);
        Assert.True(await Store.AnyAccountAsync(CancellationToken.None));
        var byId = await Store.FindAccountAsync(created.Id, CancellationToken.None);
        var byName = await Store.FindAccountByNameAsync("shop", CancellationToken.None);
        Assert.Equal(created.Id, byName!.Id);
        Assert.Equal(new AccountLimits(1000, 100, 10), byId!.Limits);
        Assert.Equal(["shop.test", "mail.shop.test"], byId.SenderDomains);
        Assert.Equal(_clock.GetUtcNow(), byId.CreatedAt);
        Assert.False(byId.Disabled);
        Assert.Null(await Store.FindAccountAsync("acct_missing", CancellationToken.None));
    }

    [Fact]
    public async Task UnsubscribeTags_DefaultBroadcast_StoredAsGiven_ChangedOnlyWhenGiven()
    {
        var plain = await Store.CreateAccountAsync("plain", AccountLimits.Unlimited, [], CancellationToken.None);
        var shop = await Store.CreateAccountAsync("shop", AccountLimits.Unlimited, [], ["news, weekly", "broadcast"], CancellationToken.None);
        var none = await Store.CreateAccountAsync("none", AccountLimits.Unlimited, [], [], CancellationToken.None);

        Assert.Equal(["broadcast"], (await Store.FindAccountAsync(plain!.Id, CancellationToken.None))!.UnsubscribeTags);
        Assert.Equal(["news, weekly", "broadcast"], (await Store.FindAccountByNameAsync("shop", CancellationToken.None))!.UnsubscribeTags);
        Assert.Empty((await Store.FindAccountAsync(none!.Id, CancellationToken.None))!.UnsubscribeTags);

        await Store.UpdateAccountAsync(shop!.Id, new AccountChanges("shop2", default, default, default, null, null), CancellationToken.None);
        Assert.Equal(["news, weekly", "broadcast"], (await Store.FindAccountAsync(shop.Id, CancellationToken.None))!.UnsubscribeTags);
        await Store.UpdateAccountAsync(shop.Id, new AccountChanges(null, default, default, default, null, null, []), CancellationToken.None);
        Assert.Empty((await Store.ListAccountsAsync(null, 10, CancellationToken.None)).Single(a => a.Id == shop.Id).UnsubscribeTags);
    }

    [Fact]
    public async Task CreateAccount_WithTakenName_ReturnsNull()
    {
        await Store.CreateAccountAsync("shop", AccountLimits.Unlimited, [], CancellationToken.None);

        Assert.Null(await Store.CreateAccountAsync("shop", AccountLimits.Unlimited, [], CancellationToken.None));
    }

    [Fact]
    public async Task ListAccounts_InNameOrder_Paged()
    {
        foreach (var name in new[] { "b", "a", "c", "B" })
            await Store.CreateAccountAsync(name, AccountLimits.Unlimited, [], CancellationToken.None);

        var first = await Store.ListAccountsAsync(null, 2, CancellationToken.None);
        var rest = await Store.ListAccountsAsync(first[^1].Name, 10, CancellationToken.None);

        // Byte order on both engines: upper case before lower case.
        Assert.Equal(["B", "a"], first.Select(a => a.Name));
        Assert.Equal(["b", "c"], rest.Select(a => a.Name));
    }

    [Fact]
    public async Task UpdateAccount_ChangesOnlyWhatIsGiven_AndRefusesATakenName()
    {
        var shop = (await Store.CreateAccountAsync("shop", new AccountLimits(1000, null, null), [], CancellationToken.None))!;
        await Store.CreateAccountAsync("other", AccountLimits.Unlimited, [], CancellationToken.None);
        _clock.Advance(TimeSpan.FromMinutes(1));

        var updated = await Store.UpdateAccountAsync(shop.Id, new AccountChanges(null, Optional<long?>.None, Optional<long?>.None, Optional<long?>.Of(5), null, true), CancellationToken.None);
        var taken = await Store.UpdateAccountAsync(shop.Id, new AccountChanges("other", default, default, default, null, null), CancellationToken.None);
        var missing = await Store.UpdateAccountAsync("acct_missing", new AccountChanges("x", default, default, default, null, null), CancellationToken.None);

        var account = Assert.IsType<AccountUpdate.Updated>(updated).Account;
        Assert.Equal(new AccountLimits(1000, null, 5), account.Limits);
        Assert.True(account.Disabled);
        Assert.IsType<AccountUpdate.NameTaken>(taken);
        Assert.IsType<AccountUpdate.NotFound>(missing);
        var stored = (await Store.FindAccountAsync(shop.Id, CancellationToken.None))!;
        Assert.Equal(("shop", true, _clock.GetUtcNow()), (stored.Name, stored.Disabled, stored.UpdatedAt!.Value));
    }

    [Fact]
    public async Task Keys_AddFindListRevoke()
    {
        var shop = (await Store.CreateAccountAsync("shop", AccountLimits.Unlimited, [], CancellationToken.None))!;
        var hash = ApiKey.Hash(ApiKey.Generate());
        var id = await Store.AddKeyAsync(shop.Id, "web", hash, [Scopes.Send, Scopes.Read], CancellationToken.None);

        var found = await Store.FindKeyAsync(id, CancellationToken.None);
        Assert.Equal((shop.Id, "web", false, false), (found!.AccountId, found.Name, found.Revoked, found.AccountDisabled));
        Assert.Equal(hash, found.Hash);
        Assert.Equal([Scopes.Send, Scopes.Read], found.Scopes);
        var listed = Assert.Single(await Store.ListKeysAsync(shop.Id, CancellationToken.None));
        Assert.Equal(("shop", (DateTimeOffset?)null), (listed.AccountName, listed.RevokedAt));
        Assert.Empty(await Store.ListKeysAsync("acct_other", CancellationToken.None));

        Assert.False(await Store.RevokeKeyAsync("acct_other", id, CancellationToken.None));
        Assert.True(await Store.RevokeKeyAsync(shop.Id, id, CancellationToken.None));
        Assert.False(await Store.RevokeKeyAsync(null, id, CancellationToken.None));
        Assert.True((await Store.FindKeyAsync(id, CancellationToken.None))!.Revoked);
        Assert.Null(await Store.FindKeyAsync("missing", CancellationToken.None));
    }

    [Fact]
    public async Task TouchKey_WritesAtMostOnceAMinute()
    {
        var shop = (await Store.CreateAccountAsync("shop", AccountLimits.Unlimited, [], CancellationToken.None))!;
        var id = await Store.AddKeyAsync(shop.Id, "web", ApiKey.Hash(ApiKey.Generate()), [Scopes.Send], CancellationToken.None);
        var first = _clock.GetUtcNow();

        await Store.TouchKeyAsync(id, CancellationToken.None);
        _clock.Advance(TimeSpan.FromSeconds(30));
        await Store.TouchKeyAsync(id, CancellationToken.None);
        Assert.Equal(first, (await Store.ListKeysAsync(shop.Id, CancellationToken.None)).Single().LastUsedAt);
        _clock.Advance(TimeSpan.FromSeconds(31));
        await Store.TouchKeyAsync(id, CancellationToken.None);

        Assert.Equal(_clock.GetUtcNow(), (await Store.ListKeysAsync(shop.Id, CancellationToken.None)).Single().LastUsedAt);
    }
}
