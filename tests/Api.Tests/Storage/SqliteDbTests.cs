using EmailApi.Storage;
using Microsoft.Extensions.Options;

namespace EmailApi.Tests.Storage;

public sealed class SqliteDbTests
{
    private readonly SqliteDb _db = new(Options.Create(new StorageOptions { Sqlite = { Path = Path.Combine(Path.GetTempPath(), "unused.db") } }));

    // The process's write transactions take turns: the next starts only once the current one is done.
    [Fact]
    public async Task WriteTurn_SecondWaitsUntilTheFirstIsDisposed_AndDisposingTwiceReleasesOnce()
    {
        var first = await _db.WriteTurnAsync(CancellationToken.None);
        var second = _db.WriteTurnAsync(CancellationToken.None);
        await Task.Delay(50);
        Assert.False(second.IsCompleted);

        first.Dispose();
        first.Dispose();
        using var turn = await second.WaitAsync(TimeSpan.FromSeconds(5));
        var third = _db.WriteTurnAsync(CancellationToken.None);
        await Task.Delay(50);
        Assert.False(third.IsCompleted);   // the double dispose did not let a third writer in
    }
}
