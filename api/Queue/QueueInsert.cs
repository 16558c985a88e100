using System.Data.Common;
using EmailApi.Storage;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace EmailApi.Queue;

/// <summary>
/// Queues new messages inside a transaction that another capability's store holds, so that they
/// commit with its change or not at all (the feedback store's late bounce notifications commit with
/// the status change they report). It runs the engine's own insert, the one its queue store's
/// enqueue and result recording run, so the SQL stays written once per engine, in the queue stores;
/// the engine is the one the caller's connection belongs to. On PostgreSQL it also queues the
/// NOTIFY that wakes every node's sender when the transaction commits; SQLite has one process, whose
/// caller wakes its <see cref="QueueSignal"/> after the commit. The messages are not counted against
/// their account's limits, like bounce notifications at delivery time.
/// </summary>
internal static class QueueInsert
{
    public static async Task InsertAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<NewMessage> messages, DateTimeOffset now, CancellationToken ct)
    {
        if (messages.Count == 0) return;
        var nowMs = now.ToUnixTimeMilliseconds();
        switch (connection, tx)
        {
            case (SqliteConnection sqlite, SqliteTransaction sqliteTx):
                using (var statements = new SqliteStatements(sqlite) { Transaction = sqliteTx })
                    await SqliteQueueStore.InsertAsync(statements, messages, nowMs, ct);
                break;
            case (NpgsqlConnection postgres, NpgsqlTransaction postgresTx):
                await PostgresQueueStore.InsertAsync(postgres, postgresTx, messages, nowMs, ct);
                await PostgresQueueStore.NotifyAsync(postgres, postgresTx, ct);
                break;
            default:
                throw new NotSupportedException($"No queue on a {connection.GetType().Name}.");
        }
    }
}
