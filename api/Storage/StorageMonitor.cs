using Microsoft.Extensions.Options;

namespace EmailApi.Storage;

/// <summary>
/// Checks the database every <c>Storage:CheckInterval</c> (and whenever readiness is asked) and
/// keeps the last answer. Intake follows it: on SQLite the probe holds back every acknowledgement
/// while the database is unavailable, so submissions get 503 / 451 4.3.0 instead of a promise
/// the disk cannot keep. Concurrent askers share one check in flight.
/// </summary>
public sealed class StorageMonitor(IStorageProbe probe, IOptions<StorageOptions> options, ILogger<StorageMonitor> log) : BackgroundService
{
    private readonly Lock _gate = new();
    private Task<StorageState>? _running;
    private StorageState _last = new StorageState.Writable();

    public Task<StorageState> CheckAsync(CancellationToken ct)
    {
        Task<StorageState> running;
        lock (_gate)
        {
            if (_running is null || _running.IsCompleted) _running = RunAsync();
            running = _running;
        }
        return running.WaitAsync(ct);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CheckInterval);
        try
        {
            do await CheckAsync(stoppingToken);
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task<StorageState> RunAsync()
    {
        await Task.Yield();
        StorageState state;
        try
        {
            // Not the caller's token: others may be waiting on this same check.
            state = await probe.CheckAsync(CancellationToken.None);
        }
        catch (Exception ex)
        {
            log.LogError(ex, "The storage check failed unexpectedly");
            state = new StorageState.Unavailable("The storage check failed.", Permanent: false);
        }
        if (state is StorageState.Writable && _last is StorageState.Unavailable)
            log.LogWarning("The database is writable again; accepting mail");
        _last = state;
        return state;
    }
}
