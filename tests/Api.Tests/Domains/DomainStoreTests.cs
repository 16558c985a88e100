using EmailApi.Accounts;
using EmailApi.Domains;
using EmailApi.Tests.Storage;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Domains;

/// <summary>The domain store's contract on every engine.</summary>
public abstract class DomainStoreTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private StoreEngine? _engine;

    private StoreEngine Engine => _engine ?? throw new InvalidOperationException("Not initialised.");
    private IDomainStore Store => Engine.Domains;

    protected abstract Task<StoreEngine> CreateEngineAsync(FakeTimeProvider clock);

    public async Task InitializeAsync() => _engine = await CreateEngineAsync(_clock);

    public async Task DisposeAsync()
    {
        if (_engine is not null) await _engine.DisposeAsync();
    }

    [Fact]
    public async Task Create_ThenFind_OnlyForItsAccountOrAdmin()
    {
        var (a, b) = await TwoAccountsAsync();
        var domain = NewDomain(a, "shop.test");
        var created = await Store.CreateAsync(domain, [NewKey(domain.Id, "s1")], CancellationToken.None);

        Assert.IsType<DomainCreate.Created>(created);
        Assert.Equal(domain, (await Store.FindAsync(domain.Id, a, CancellationToken.None))! with { Checks = domain.Checks });
        Assert.NotNull(await Store.FindAsync(domain.Id, null, CancellationToken.None));
        Assert.Null(await Store.FindAsync(domain.Id, b, CancellationToken.None));
        Assert.Single(await Store.ListAsync(a, CancellationToken.None));
        Assert.Empty(await Store.ListAsync(b, CancellationToken.None));
        Assert.Equal(1, await Store.CountAsync(a, CancellationToken.None));
        var key = Assert.Single(await Store.KeysAsync(domain.Id, CancellationToken.None));
        Assert.Equal(("s1", KeyState.Pending, "sealed-private"), (key.Selector, key.State, key.PrivateKey));
    }

    [Fact]
    public async Task Create_NameTaken_SaysWhetherByTheSameAccount()
    {
        var (a, b) = await TwoAccountsAsync();
        await Store.CreateAsync(NewDomain(a, "shop.test"), [], CancellationToken.None);

        Assert.Equal(new DomainCreate.NameTaken(true), await Store.CreateAsync(NewDomain(a, "shop.test"), [], CancellationToken.None));
        Assert.Equal(new DomainCreate.NameTaken(false), await Store.CreateAsync(NewDomain(b, "shop.test"), [], CancellationToken.None));
        Assert.Single(await Store.ListAsync(null, CancellationToken.None));
    }

    [Fact]
    public async Task TryClaimCheck_TwiceInTheInterval_SecondLoses()
    {
        var (a, _) = await TwoAccountsAsync();
        var domain = NewDomain(a, "shop.test");
        await Store.CreateAsync(domain, [], CancellationToken.None);
        var now = _clock.GetUtcNow();

        Assert.True(await Store.TryClaimCheckAsync(domain.Id, now, now.AddSeconds(-10), CancellationToken.None));
        Assert.False(await Store.TryClaimCheckAsync(domain.Id, now.AddSeconds(5), now.AddSeconds(-5), CancellationToken.None));
        Assert.True(await Store.TryClaimCheckAsync(domain.Id, now.AddSeconds(11), now.AddSeconds(1), CancellationToken.None));
    }

    [Fact]
    public async Task SaveCheck_VerifiesAndActivates_ThenVerifiedListsActiveKeysOnly()
    {
        var (a, b) = await TwoAccountsAsync();
        var domain = NewDomain(a, "shop.test");
        var oldKey = NewKey(domain.Id, "old");
        var newKey = NewKey(domain.Id, "new");
        await Store.CreateAsync(domain, [oldKey, newKey], CancellationToken.None);
        var now = _clock.GetUtcNow();
        var checks = new Dictionary<string, DnsRecordCheck> { ["dkim:new"] = new("dkim:new", RecordStatus.Ok, null, now) };

        await Store.SaveCheckAsync(domain with { Status = DomainStatus.Verified, Checks = checks, VerifiedAt = now, CheckedAt = now },
            [newKey with { State = KeyState.Active, ActivatedAt = now }], [oldKey.Id],
            [new DomainEvent(0, a, domain.Id, domain.Name, "domain.verified", "seen", now)], CancellationToken.None);

        var found = await Store.FindAsync(domain.Id, a, CancellationToken.None);
        Assert.Equal(DomainStatus.Verified, found!.Status);
        Assert.Equal(RecordStatus.Ok, found.Checks["dkim:new"].Status);
        var verified = Assert.Single(await Store.VerifiedAsync(a, CancellationToken.None));
        Assert.Equal("shop.test", verified.Name);
        Assert.Equal("new", Assert.Single(verified.ActiveKeys).Selector);
        Assert.Empty(await Store.VerifiedAsync(b, CancellationToken.None));
        Assert.Equal("domain.verified", Assert.Single(await Store.EventsAsync(a, null, 0, 10, CancellationToken.None)).Type);
        Assert.Empty(await Store.EventsAsync(b, null, 0, 10, CancellationToken.None));
        Assert.Single(await Store.KeysAsync(domain.Id, CancellationToken.None));
    }

    [Fact]
    public async Task Due_And_Delete()
    {
        var (a, b) = await TwoAccountsAsync();
        var domain = NewDomain(a, "shop.test");
        await Store.CreateAsync(domain, [NewKey(domain.Id, "s1")], CancellationToken.None);

        Assert.Empty(await Store.DueAsync(domain.NextCheckAt.AddSeconds(-1), 10, CancellationToken.None));
        Assert.Single(await Store.DueAsync(domain.NextCheckAt, 10, CancellationToken.None));
        Assert.False(await Store.DeleteAsync(domain.Id, b, CancellationToken.None));
        Assert.True(await Store.DeleteAsync(domain.Id, a, CancellationToken.None));
        Assert.Null(await Store.FindAsync(domain.Id, null, CancellationToken.None));
        Assert.Empty(await Store.KeysAsync(domain.Id, CancellationToken.None));
        Assert.IsType<DomainCreate.Created>(await Store.CreateAsync(NewDomain(b, "shop.test"), [], CancellationToken.None));
    }

    private async Task<(string A, string B)> TwoAccountsAsync() =>
        ((await Engine.Accounts.CreateAccountAsync("a", AccountLimits.Unlimited, [], CancellationToken.None))!.Id,
         (await Engine.Accounts.CreateAccountAsync("b", AccountLimits.Unlimited, [], CancellationToken.None))!.Id);

    private SendingDomain NewDomain(string account, string name)
    {
        var now = _clock.GetUtcNow();
        return new SendingDomain($"dom_{Guid.NewGuid():N}", account, name, DomainStatus.Pending, null, new Dictionary<string, DnsRecordCheck>(),
            null, now, null, null, now.AddMinutes(5), 0);
    }

    private DomainKey NewKey(string domainId, string selector) =>
        new($"dkey_{Guid.NewGuid():N}", domainId, selector, DkimAlgorithm.Rsa2048, "cHVibGlj", "sealed-private", KeyState.Pending, _clock.GetUtcNow(), null, null);
}
