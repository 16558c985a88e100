using Npgsql;
using EmailApi.Storage;

namespace EmailApi.Queue;

/// <summary>
/// Wakes this node's sender when any node commits new work. On SQLite the writer and the sender
/// share a process and <see cref="QueueSignal"/> is enough; across machines the committing node
/// sends <c>NOTIFY emailapi_queue</c> with its transaction, and every sender node listens on one
/// dedicated connection. A lost notification (the connection dropped) only costs a poll interval,
/// so on any failure the listener reconnects after a pause and the sender's polling carries on.
/// </summary>
public sealed class PostgresQueueListener(PostgresDb db, QueueSignal signal, TimeProvider clock, ILogger<PostgresQueueListener> log) : BackgroundService
{
    public const string Channel = "emailapi_queue";
    private static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await db.OpenAsync(stoppingToken);
                connection.Notification += (_, _) => signal.Notify();
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                // Work may have been committed while we were not listening.
                signal.Notify();
                while (!stoppingToken.IsCancellationRequested) await connection.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or IOException)
            {
                log.LogWarning(ex, "Lost the queue notification channel; reconnecting (the sender keeps polling meanwhile)");
                try { await Task.Delay(ReconnectDelay, clock, stoppingToken); }
                catch (OperationCanceledException) { return; }
            }
        }
    }
}
