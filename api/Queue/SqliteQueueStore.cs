using System.Text.Json;
using Dapper;
using EmailApi.Storage;
using Microsoft.Data.Sqlite;

namespace EmailApi.Queue;

/// <summary>
/// The queue on an SQLite file in WAL mode. SQLite has one writer at a time; callers batch
/// (see <see cref="QueueWriter"/>) so one fsync covers many messages. Enqueueing keeps its own
/// connection open with its statements prepared, since it runs one batch after another all day.
/// <para>
/// No write holds the write lock while the disk flushes: each commits with <c>synchronous=NORMAL</c>
/// (its log frames written, the lock released) and the log is fsynced after its write turn
/// (<see cref="SqliteDb.FlushLog"/>), which is as safe as <c>FULL</c>. Enqueueing flushes in
/// <see cref="FlushAsync"/>, so that <see cref="QueueWriter"/> can write the next batch meanwhile;
/// it acknowledges a message only after that flush. Delivery results flush before
/// <see cref="RecordAsync"/> returns; concurrent jobs' results share that transaction and flush
/// (<see cref="ResultWriter"/>). Leases, postponements and releases do not wait for the disk
/// at all: only this process uses the file, and whatever a crash takes of them,
/// <see cref="RecoverAsync"/> at the next start makes due again at once, which is where a durable
/// lease ends up too (the next flush of anyone makes them durable anyway).
/// </para>
/// </summary>
public sealed class SqliteQueueStore(SqliteDb db, TimeProvider clock) : IQueueStore, IDisposable
{
    private readonly BehindFullDestinations _behind = new();
    private readonly SemaphoreSlim _enqueueGate = new(1, 1);
    private SqliteConnection? _enqueueConnection;
    private SqliteStatements? _enqueueStatements;

    private const string InsertMessage = """
        INSERT INTO messages (id, account_id, source, envelope_from, header_from, subject, tags, metadata, size, raw, created_at, send_at)
        VALUES (@Id, @AccountId, @Source, @EnvelopeFrom, @HeaderFrom, @Subject, @Tags, @Metadata, @Size, @Raw, @CreatedAt, @SendAt)
        """;

    private const string InsertTag = "INSERT OR IGNORE INTO message_tags (account_id, tag, message_id) VALUES (@AccountId, @Tag, @MessageId)";

    // A recipient on the account's suppression list is recorded as suppressed and never leased.
    private const string InsertRecipient = """
        INSERT INTO recipients (message_id, account_id, address, domain, status, attempts, next_attempt_at, updated_at)
        VALUES (@MessageId, @AccountId, @Address, @Domain,
                CASE WHEN EXISTS (SELECT 1 FROM suppressions WHERE account_id = @AccountId AND address = @Address) THEN 'suppressed' ELSE 'queued' END,
                0, @DueAt, @Now);
        INSERT INTO events (message_id, recipient_id, type, detail, created_at)
        SELECT @MessageId, id, status, CASE status WHEN 'suppressed' THEN 'The address is on the suppression list' END, @Now
        FROM recipients WHERE id = last_insert_rowid();
        """;

    // Fresh mail first, then retries whose time has come, then recipients whose sender's lease ran
    // out (a sender that crashed mid-delivery delays its recipients by one lease, never loses them).
    // Like Postfix's incoming and deferred queues: however many retries are due, a lease never puts
    // fresh mail behind them. Retries are looked for among the @Window earliest due only, so a
    // deferred queue of any size whose head is all busy destinations (@Skip) costs a lease a bounded
    // read; the head moves on as those destinations' attempts are recorded.
    private const string Lease = """
        UPDATE recipients SET status = 'sending', lease_until = @Until, lease_token = @Token, updated_at = @Now
        WHERE id IN (
            SELECT id FROM (SELECT id, domain FROM recipients WHERE status = 'queued' AND next_attempt_at <= @Now
                            ORDER BY next_attempt_at LIMIT @Window) WHERE domain NOT IN @Skip
            UNION ALL
            SELECT id FROM (SELECT id, domain FROM recipients WHERE status = 'deferred' AND next_attempt_at <= @Now
                            ORDER BY next_attempt_at LIMIT @Window) WHERE domain NOT IN @Skip
            UNION ALL
            SELECT id FROM (SELECT id FROM recipients WHERE status = 'sending' AND lease_until <= @Now AND domain NOT IN @Skip ORDER BY lease_until LIMIT @Limit)
            LIMIT @Limit)
        RETURNING id AS Id, message_id AS MessageId, address AS Address, domain AS Domain, attempts AS Attempts
        """;

    // Fresh mail of the given domains (BehindFullDestinations), a range of ix_recipients_queued_domain each.
    private const string LeaseBehind = """
        UPDATE recipients SET status = 'sending', lease_until = @Until, lease_token = @Token, updated_at = @Now
        WHERE id IN (SELECT id FROM recipients INDEXED BY ix_recipients_queued_domain
                     WHERE status = 'queued' AND domain IN @Domains AND next_attempt_at <= @Now LIMIT @Limit)
        RETURNING id AS Id, message_id AS MessageId, address AS Address, domain AS Domain, attempts AS Attempts
        """;

    private const string Record = """
        UPDATE recipients SET status = @Status, attempts = attempts + 1, next_attempt_at = @NextAttemptAt,
            lease_until = NULL, lease_token = NULL, last_response = @Response, last_reply_code = @ReplyCode,
            last_enhanced_status = @EnhancedStatus, updated_at = @Now
        WHERE id = @RecipientId AND lease_token = @Token AND status = 'sending'
        """;

    private const string SuppressRecipient = """
        INSERT OR IGNORE INTO suppressions (account_id, address, reason, source, created_at)
        SELECT m.account_id, r.address, @Response, 'bounce', @Now FROM recipients r JOIN messages m ON m.id = r.message_id WHERE r.id = @RecipientId
        """;

    private const string InsertEvent = """
        INSERT INTO events (message_id, recipient_id, type, detail, reply_code, enhanced_status, mx, created_at)
        VALUES (@MessageId, @RecipientId, @Type, @Response, @ReplyCode, @EnhancedStatus, @Mx, @Now)
        """;

    public async Task<IReadOnlyList<EnqueueOutcome>> EnqueueAsync(IReadOnlyList<EnqueueRequest> requests, CancellationToken ct)
    {
        await _enqueueGate.WaitAsync(ct);
        try
        {
            if (_enqueueConnection is null)
            {
                // Commits do not wait for the disk here; FlushAsync does, outside the write lock.
                _enqueueConnection = await db.OpenUnsyncedAsync(ct);
                // A larger page cache than the other connections' 2 MB: the indexes' hot pages stay in it between batches.
                await _enqueueConnection.ExecuteAsync("PRAGMA cache_size=-16384");
            }
            _enqueueStatements ??= new SqliteStatements(_enqueueConnection);
            return await EnqueueAsync(_enqueueConnection, _enqueueStatements, requests, ct);
        }
        catch
        {
            // Whatever state a failed batch left the connection in, the next batch starts on a new one.
            CloseEnqueueConnection();
            throw;
        }
        finally
        {
            _enqueueGate.Release();
        }
    }

    public Task FlushAsync(CancellationToken ct)
    {
        db.FlushLog();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _enqueueGate.Wait();
        try { CloseEnqueueConnection(); }
        finally { _enqueueGate.Release(); }
    }

    private void CloseEnqueueConnection()
    {
        _enqueueStatements?.Dispose();
        _enqueueConnection?.Dispose();
        _enqueueStatements = null;
        _enqueueConnection = null;
    }

    private async Task<IReadOnlyList<EnqueueOutcome>> EnqueueAsync(SqliteConnection connection, SqliteStatements statements,
        IReadOnlyList<EnqueueRequest> requests, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var nowMs = now.ToUnixTimeMilliseconds();
        var outcomes = new EnqueueOutcome[requests.Count];
        using var turn = await db.WriteTurnAsync(ct);
        await using var tx = connection.BeginTransaction();
        statements.Transaction = tx;
        var usage = new PreparedUsage(statements);
        for (var i = 0; i < requests.Count; i++)
        {
            var request = requests[i];
            // The key is claimed before anything is counted: a retry of a stored request is
            // answered from the key and costs no quota.
            if (request.Claim is { } claim)
            {
                tx.Save("request");
                if (await Admission.ClaimAsync(connection, tx, claim, nowMs, ct) is { } duplicate)
                {
                    tx.Release("request");
                    outcomes[i] = duplicate;
                    continue;
                }
            }

            var results = new EnqueueResult[request.Messages.Count];
            var stored = new List<NewMessage>(request.Messages.Count);
            for (var m = 0; m < results.Length; m++)
            {
                results[m] = await Admission.CountAsync(tx, usage, request.Messages[m], now, ct);
                if (results[m] is EnqueueResult.Stored) stored.Add(request.Messages[m]);
            }
            await InsertAsync(statements, stored, nowMs, ct);

            if (request.Claim is { } kept)
            {
                // A request refused as a whole leaves no trace, so that its retry can succeed later.
                if (stored.Count == 0) tx.Rollback("request");
                else await Admission.RememberAsync(connection, tx, kept, kept.Respond(results), ct);
                tx.Release("request");
            }
            outcomes[i] = new EnqueueOutcome.Done(results);
        }
        tx.Commit();
        return outcomes;
    }

    /// <summary>The rows of new messages, in the statements' transaction: the enqueue's, the result recording's (bounce notifications) and <see cref="QueueInsert"/>'s.</summary>
    internal static async Task InsertAsync(SqliteStatements statements, IReadOnlyList<NewMessage> batch, long now, CancellationToken ct)
    {
        foreach (var message in batch)
        {
            var id = message.Id.ToString();
            await statements.ExecuteAsync(InsertMessage, ct,
                ("@Id", id),
                ("@AccountId", message.AccountId),
                ("@Source", message.Source.ToDb()),
                ("@EnvelopeFrom", message.EnvelopeFrom),
                ("@HeaderFrom", message.HeaderFrom),
                ("@Subject", message.Subject),
                ("@Tags", message.Tags.Count == 0 ? null : JsonSerializer.Serialize(message.Tags)),
                ("@Metadata", message.Metadata is null or { Count: 0 } ? null : JsonSerializer.Serialize(message.Metadata)),
                ("@Size", message.Raw.LongLength),
                ("@Raw", message.Raw),
                ("@CreatedAt", message.CreatedAt.ToUnixTimeMilliseconds()),
                ("@SendAt", message.SendAt?.ToUnixTimeMilliseconds()));
            // A scheduled message's recipients are simply not due before its time.
            var dueAt = message.SendAt is { } sendAt ? Math.Max(now, sendAt.ToUnixTimeMilliseconds()) : now;
            foreach (var address in message.Recipients)
            {
                await statements.ExecuteAsync(InsertRecipient, ct,
                    ("@MessageId", id), ("@AccountId", message.AccountId), ("@Address", address), ("@Domain", DomainOf(address)), ("@DueAt", dueAt), ("@Now", now));
            }
            foreach (var tag in message.Tags.Distinct(StringComparer.Ordinal))
                await statements.ExecuteAsync(InsertTag, ct, ("@AccountId", message.AccountId), ("@Tag", tag), ("@MessageId", id));
        }
    }

    public async Task<Lease> LeaseAsync(int limit, TimeSpan leaseFor, IReadOnlyCollection<string> skipDomains, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var until = now + leaseFor;
        var token = Random.Shared.NextInt64(1, long.MaxValue);
        return await WriteAsync(Sync.Later, async (connection, tx) =>
        {
            var rows = (await connection.QueryAsync<QueueQueries.LeasedRow>(new CommandDefinition(Lease,
                new { Until = until.ToUnixTimeMilliseconds(), Token = token, Now = now.ToUnixTimeMilliseconds(), Limit = limit, Window = QueueQueries.RetryWindow(limit), Skip = skipDomains.ToArray() },
                tx, cancellationToken: ct))).AsList();
            rows.AddRange(await _behind.LeaseAsync(connection, tx, skipDomains, limit - rows.Count,
                async (domains, wanted) => (await connection.QueryAsync<QueueQueries.LeasedRow>(new CommandDefinition(LeaseBehind,
                    new { Until = until.ToUnixTimeMilliseconds(), Token = token, Now = now.ToUnixTimeMilliseconds(), Limit = wanted, Domains = domains },
                    tx, cancellationToken: ct))).AsList(), ct));
            if (rows.Count == 0) return Queue.Lease.Empty;

            var messageIds = rows.Select(r => r.MessageId).Distinct().ToArray();
            var messages = await connection.QueryAsync<QueueQueries.QueuedMessageRow>(new CommandDefinition(
                $"SELECT {QueueQueries.QueuedMessageColumns} FROM messages WHERE id IN @Ids",
                new { Ids = messageIds }, tx, cancellationToken: ct));
            return QueueQueries.ToLease(token, until, rows, messages);
        }, ct);
    }

    public async Task RecordAsync(IReadOnlyList<LeaseResults> batches, CancellationToken ct)
    {
        if (batches.All(b => b.Results.Count == 0)) return;
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await WriteAsync(Sync.Flush, async (connection, tx) =>
        {
            // Prepared once for every job in the transaction.
            using var statements = new SqliteStatements(connection) { Transaction = tx };
            foreach (var batch in batches)
            {
                var recorded = 0;
                foreach (var result in batch.Results)
                {
                    var status = result.Status.ToDb();
                    if (await statements.ExecuteAsync(Record, ct,
                            ("@Status", status), ("@NextAttemptAt", result.NextAttemptAt?.ToUnixTimeMilliseconds()), ("@Response", result.Response),
                            ("@ReplyCode", result.Reply.Code), ("@EnhancedStatus", result.Reply.EnhancedStatus), ("@Now", now), ("@RecipientId", result.RecipientId), ("@Token", batch.LeaseToken)) != 1)
                        continue;
                    recorded++;
                    await statements.ExecuteAsync(InsertEvent, ct,
                        ("@MessageId", result.MessageId.ToString()), ("@RecipientId", result.RecipientId), ("@Type", status), ("@Response", result.Response),
                        ("@ReplyCode", result.Reply.Code), ("@EnhancedStatus", result.Reply.EnhancedStatus), ("@Mx", result.Mx), ("@Now", now));
                    if (result.Suppress)
                        await statements.ExecuteAsync(SuppressRecipient, ct, ("@Response", result.Response), ("@Now", now), ("@RecipientId", result.RecipientId));
                }
                // Bounce notifications commit with the bounces they report, and only when this lease still held.
                if (recorded > 0 && batch.Notifications.Count > 0) await InsertAsync(statements, batch.Notifications, now, ct);
            }
            return 0;
        }, ct);
    }

    public Task ReleaseAsync(long leaseToken, CancellationToken ct) =>
        WriteAsync(Sync.Later, (connection, tx) => connection.ExecuteAsync(new CommandDefinition("""
            UPDATE recipients SET status = CASE WHEN attempts = 0 THEN 'queued' ELSE 'deferred' END,
                next_attempt_at = @Now, lease_until = NULL, lease_token = NULL, updated_at = @Now
            WHERE lease_token = @Token AND status = 'sending'
            """, new { Token = leaseToken, Now = clock.GetUtcNow().ToUnixTimeMilliseconds() }, tx, cancellationToken: ct)), ct);

    public Task RecoverAsync(CancellationToken ct) =>
        WriteAsync(Sync.Later, (connection, tx) => connection.ExecuteAsync(new CommandDefinition("""
            UPDATE recipients SET status = CASE WHEN attempts = 0 THEN 'queued' ELSE 'deferred' END,
                next_attempt_at = @Now, lease_until = NULL, lease_token = NULL, updated_at = @Now
            WHERE status = 'sending'
            """, new { Now = clock.GetUtcNow().ToUnixTimeMilliseconds() }, tx, cancellationToken: ct)), ct);

    public async Task PostponeAsync(long leaseToken, IReadOnlyList<long> recipientIds, DateTimeOffset dueAt, CancellationToken ct)
    {
        if (recipientIds.Count == 0) return;
        await WriteAsync(Sync.Later, (connection, tx) => connection.ExecuteAsync(new CommandDefinition("""
            UPDATE recipients SET status = CASE WHEN attempts = 0 THEN 'queued' ELSE 'deferred' END,
                next_attempt_at = @Due, lease_until = NULL, lease_token = NULL, updated_at = @Now
            WHERE id IN @Ids AND lease_token = @Token AND status = 'sending'
            """, new { Ids = recipientIds, Token = leaseToken, Due = dueAt.ToUnixTimeMilliseconds(), Now = clock.GetUtcNow().ToUnixTimeMilliseconds() }, tx, cancellationToken: ct)), ct);
    }

    /// <summary>
    /// One of the sender's write transactions, committed in its write turn without waiting for the
    /// disk. With <see cref="Sync.Flush"/> the log is flushed after the turn (so the group commit
    /// never waits behind it), and the transaction is on disk when this returns.
    /// </summary>
    private async Task<T> WriteAsync<T>(Sync sync, Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken ct)
    {
        await using var connection = await db.OpenUnsyncedAsync(ct);
        T result;
        using (await db.WriteTurnAsync(ct))
        {
            await using var tx = connection.BeginTransaction();
            result = await work(connection, tx);
            tx.Commit();
        }
        if (sync == Sync.Flush) db.FlushLog();
        return result;
    }

    private enum Sync
    {
        /// <summary>Durable when the method returns.</summary>
        Flush,

        /// <summary>Durable with the next flush by anyone; a crash before it is undone by <see cref="RecoverAsync"/>.</summary>
        Later,
    }

    /// <summary>The usage statements on the enqueue connection's prepared statements; parameters always in this order.</summary>
    private sealed class PreparedUsage(SqliteStatements statements) : IUsageCommands
    {
        public Task<int> ExecuteAsync(string sql, UsageCount w, CancellationToken ct) =>
            statements.ExecuteAsync(sql, ct, ("@AccountId", w.AccountId), ("@Period", w.Period), ("@WindowStart", w.WindowStart), ("@N", w.N), ("@Limit", w.Limit));

        public async Task<long?> ScalarAsync(string sql, UsageCount w, CancellationToken ct) =>
            await statements.ScalarAsync(sql, ct, ("@AccountId", w.AccountId), ("@Period", w.Period), ("@WindowStart", w.WindowStart)) as long?;
    }

    internal static string DomainOf(string address) => address[(address.LastIndexOf('@') + 1)..].ToLowerInvariant();
}
