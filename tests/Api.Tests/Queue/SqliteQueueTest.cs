using EmailApi.Accounts;
using EmailApi.Queue;
using EmailApi.Tests.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Queue;

/// <summary>A fresh SQLite queue with one account for each test of the group commits (<see cref="QueueWriterTests"/>, <see cref="ResultWriterTests"/>).</summary>
public abstract class SqliteQueueTest : IAsyncLifetime
{
    protected readonly FakeTimeProvider Clock = new(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));
    private SqliteStoreEngine? _engine;
    private string? _account;

    protected SqliteStoreEngine Engine => _engine ?? throw new InvalidOperationException("Not initialised.");
    protected string Account => _account ?? throw new InvalidOperationException("Not initialised.");

    public async Task InitializeAsync()
    {
        _engine = (SqliteStoreEngine)await SqliteStoreEngine.CreateAsync(Clock);
        _account = (await Engine.Accounts.CreateAccountAsync("a", AccountLimits.Unlimited, [], CancellationToken.None))!.Id;
    }

    public async Task DisposeAsync()
    {
        if (_engine is not null) await _engine.DisposeAsync();
    }

    protected QueueMetrics Metrics() =>
        new(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), Engine.Counts, TimeProvider.System);
}
