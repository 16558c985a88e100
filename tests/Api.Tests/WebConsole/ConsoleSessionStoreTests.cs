using Dapper;
using EmailApi.Tests.Storage;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.WebConsole;

/// <summary>The console's shared session state (<see cref="EmailApi.WebConsole.IConsoleSessionStore"/>) on every engine.</summary>
public abstract class ConsoleSessionStoreTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private StoreEngine? _engine;

    private StoreEngine Engine => _engine ?? throw new InvalidOperationException("Not initialised.");

    protected abstract Task<StoreEngine> CreateEngineAsync(FakeTimeProvider clock);

    public async Task InitializeAsync() => _engine = await CreateEngineAsync(_clock);

    public async Task DisposeAsync()
    {
        if (_engine is not null) await _engine.DisposeAsync();
    }

    private async Task<long> RowsAsync(string table)
    {
        await using var connection = await Engine.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM {table}");
    }

    [Fact]
    public async Task EndedSession_StaysEndedUntilItsExpiry_AndExpiredRowsAreRemovedOnWrite()
    {
        var store = Engine.ConsoleSessions;
        Assert.False(await store.IsEndedAsync("s1", CancellationToken.None));
        await store.EndAsync("s1", _clock.GetUtcNow().AddHours(1), CancellationToken.None);
        await store.EndAsync("s1", _clock.GetUtcNow().AddHours(1), CancellationToken.None);   // twice: no error
        Assert.True(await store.IsEndedAsync("s1", CancellationToken.None));
        Assert.False(await store.IsEndedAsync("s2", CancellationToken.None));

        _clock.Advance(TimeSpan.FromHours(2));
        await store.EndAsync("s2", _clock.GetUtcNow().AddHours(1), CancellationToken.None);
        Assert.Equal(1, await RowsAsync("console_sessions_ended"));   // s1's cookie has expired: its row went
        Assert.True(await store.IsEndedAsync("s2", CancellationToken.None));
    }

    [Fact]
    public async Task StashedValue_IsTakenOnce_ByItsSessionOnly_BeforeItExpires()
    {
        var store = Engine.ConsoleSessions;
        var expires = _clock.GetUtcNow().AddMinutes(5);
        await store.StashAsync("a", "session-1", "secret-a", expires, CancellationToken.None);
        await store.StashAsync("b", "session-1", "secret-b", expires, CancellationToken.None);
        Assert.Null(await store.TakeAsync("a", "session-2", CancellationToken.None));
        Assert.Equal("secret-a", await store.TakeAsync("a", "session-1", CancellationToken.None));
        Assert.Null(await store.TakeAsync("a", "session-1", CancellationToken.None));

        _clock.Advance(TimeSpan.FromMinutes(6));
        Assert.Null(await store.TakeAsync("b", "session-1", CancellationToken.None));
        await store.StashAsync("c", "session-1", "secret-c", _clock.GetUtcNow().AddMinutes(5), CancellationToken.None);
        Assert.Equal(1, await RowsAsync("console_stash"));   // b expired unread: removed by the next write
    }
}

public sealed class SqliteConsoleSessionStoreTests : ConsoleSessionStoreTests
{
    protected override Task<StoreEngine> CreateEngineAsync(FakeTimeProvider clock) => SqliteStoreEngine.CreateAsync(clock);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresConsoleSessionStoreTests(EmailApi.TestKit.PostgresServer server) : ConsoleSessionStoreTests
{
    protected override async Task<StoreEngine> CreateEngineAsync(FakeTimeProvider clock) =>
        await PostgresStoreEngine.CreateAsync(server, clock, CancellationToken.None);
}
