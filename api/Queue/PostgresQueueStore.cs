using System.Text.Json;
using Dapper;
using EmailApi.Storage;
using Npgsql;

namespace EmailApi.Queue;

/// <summary>
/// The queue on a PostgreSQL database shared by any number of nodes. Writes are batched: a group
/// commit of many messages (see <see cref="QueueWriter"/>) inserts all of them with a few array
/// statements in one transaction. Senders lease with <c>FOR UPDATE SKIP LOCKED</c>: a recipient row
/// is handed out only by the statement that locks it and marks it <c>sending</c> with a future
/// <c>lease_until</c>, and every other sender's lease re-checks that condition on the row's latest
/// version, so no two senders get the same recipient while a lease holds. When a node dies, its
/// leases run out and the other nodes take the recipients over; a late result from the dead lease
/// is dropped by the <c>lease_token</c> check. Node clocks must agree to well within the sender's
/// lease safety margin (NTP), since lease times are written by the nodes.
/// </summary>
public sealed class PostgresQueueStore(PostgresDb db, TimeProvider clock) : IQueueStore
{
    // Deadlock and serialization failures: two nodes' group commits touching the same usage or key
    // rows in a different order. The whole batch is all-or-nothing, so running it again is safe.
    private const int EnqueueAttempts = 3;
    private readonly BehindFullDestinations _behind = new();

    private const string InsertMessages = """
        INSERT INTO messages (id, account_id, source, envelope_from, header_from, subject, tags, metadata, size, raw, created_at, send_at)
        SELECT * FROM unnest(@Ids::text[], @AccountIds::text[], @Sources::text[], @EnvelopeFroms::text[], @HeaderFroms::text[], @Subjects::text[],
                             @Tags::text[], @Metadata::text[], @Sizes::bigint[], @Raws::bytea[], @CreatedAts::bigint[], @SendAts::bigint[])
        """;

    // A recipient on the account's suppression list is recorded as suppressed and never leased.
    private const string InsertRecipients = """
        WITH input AS (
            SELECT * FROM unnest(@MessageIds::text[], @AccountIds::text[], @Addresses::text[], @Domains::text[], @DueAts::bigint[])
                WITH ORDINALITY AS t(message_id, account_id, address, domain, due_at, n)),
        inserted AS (
            INSERT INTO recipients (message_id, account_id, address, domain, status, attempts, next_attempt_at, updated_at)
            SELECT i.message_id, i.account_id, i.address, i.domain,
                   CASE WHEN EXISTS (SELECT 1 FROM suppressions s WHERE s.account_id = i.account_id AND s.address = i.address) THEN 'suppressed' ELSE 'queued' END,
                   0, i.due_at, @Now
            FROM input i ORDER BY i.n
            RETURNING id, message_id, status)
        INSERT INTO events (message_id, recipient_id, type, detail, created_at)
        SELECT message_id, id, status, CASE status WHEN 'suppressed' THEN 'The address is on the suppression list' END, @Now
        FROM inserted ORDER BY id
        """;

    private const string InsertTags = """
        INSERT INTO message_tags (account_id, tag, message_id) SELECT * FROM unnest(@AccountIds::text[], @Tags::text[], @MessageIds::text[])
        ON CONFLICT DO NOTHING
        """;

    // Fresh mail first, then due retries among the @Window earliest, then recipients whose sender's
    // lease ran out (see SqliteQueueStore.Lease). Locking clauses are not allowed inside UNION, hence
    // one locked CTE per kind; a CTE is read only as far as the outer LIMIT needs.
    private const string Lease = """
        WITH fresh AS (
            SELECT id FROM recipients WHERE id IN (
                SELECT id FROM recipients WHERE status = 'queued' AND next_attempt_at <= @Now ORDER BY next_attempt_at LIMIT @Window)
            AND status = 'queued' AND NOT (domain = ANY(@Skip))
            ORDER BY next_attempt_at LIMIT @Limit FOR UPDATE SKIP LOCKED),
        retry AS (
            SELECT id FROM recipients WHERE id IN (
                SELECT id FROM recipients WHERE status = 'deferred' AND next_attempt_at <= @Now ORDER BY next_attempt_at LIMIT @Window)
            AND status = 'deferred' AND NOT (domain = ANY(@Skip))
            ORDER BY next_attempt_at LIMIT @Limit FOR UPDATE SKIP LOCKED),
        expired AS (
            SELECT id FROM recipients WHERE status = 'sending' AND lease_until <= @Now AND NOT (domain = ANY(@Skip))
            ORDER BY lease_until LIMIT @Limit FOR UPDATE SKIP LOCKED),
        picked AS (SELECT id FROM fresh UNION ALL SELECT id FROM retry UNION ALL SELECT id FROM expired LIMIT @Limit)
        UPDATE recipients r SET status = 'sending', lease_until = @Until, lease_token = @Token, updated_at = @Now
        FROM picked WHERE r.id = picked.id
        RETURNING r.id AS Id, r.message_id AS MessageId, r.address AS Address, r.domain AS Domain, r.attempts AS Attempts
        """;

    // Fresh mail of the given domains (BehindFullDestinations), a range of ix_recipients_queued_domain each.
    private const string LeaseBehind = """
        WITH picked AS (
            SELECT id FROM recipients WHERE status = 'queued' AND domain = ANY(@Domains) AND next_attempt_at <= @Now
            LIMIT @Limit FOR UPDATE SKIP LOCKED)
        UPDATE recipients r SET status = 'sending', lease_until = @Until, lease_token = @Token, updated_at = @Now
        FROM picked WHERE r.id = picked.id
        RETURNING r.id AS Id, r.message_id AS MessageId, r.address AS Address, r.domain AS Domain, r.attempts AS Attempts
        """;

    // One statement for the results of any number of jobs: only rows still held by their job's
    // lease change, and only those get an event (and, for hard bounces, a suppression entry). It
    // returns the jobs (positions in the call) that still held at least one row: their bounce
    // notifications are stored. Two jobs may come from one lease, so the job is not the lease token.
    private const string Record = """
        WITH input AS (
            SELECT * FROM unnest(@Ids::bigint[], @Tokens::bigint[], @Jobs::int[], @Statuses::text[], @NextAttempts::bigint[], @Responses::text[], @ReplyCodes::bigint[],
                                   @EnhancedStatuses::text[], @Mxs::text[], @MessageIds::text[], @Suppress::boolean[])
                WITH ORDINALITY AS t(id, token, job, status, next_attempt_at, response, reply_code, enhanced_status, mx, message_id, suppress, n)),
        updated AS (
            UPDATE recipients r SET status = i.status, attempts = r.attempts + 1, next_attempt_at = i.next_attempt_at,
                lease_until = NULL, lease_token = NULL, last_response = i.response, last_reply_code = i.reply_code,
                last_enhanced_status = i.enhanced_status, updated_at = @Now
            FROM input i WHERE r.id = i.id AND r.lease_token = i.token AND r.status = 'sending'
            RETURNING r.id, r.address, r.message_id, i.n, i.job),
        logged AS (
            INSERT INTO events (message_id, recipient_id, type, detail, reply_code, enhanced_status, mx, created_at)
            SELECT i.message_id, u.id, i.status, i.response, i.reply_code, i.enhanced_status, i.mx, @Now FROM updated u JOIN input i ON i.n = u.n ORDER BY i.n),
        suppressed AS (
            INSERT INTO suppressions (account_id, address, reason, source, created_at)
            SELECT m.account_id, u.address, i.response, 'bounce', @Now
            FROM updated u JOIN input i ON i.n = u.n JOIN messages m ON m.id = u.message_id WHERE i.suppress
            ON CONFLICT (account_id, address) DO NOTHING)
        SELECT DISTINCT job FROM updated
        """;

    private const string MakeDue = """
        UPDATE recipients SET status = CASE WHEN attempts = 0 THEN 'queued' ELSE 'deferred' END,
            next_attempt_at = @Due, lease_until = NULL, lease_token = NULL, updated_at = @Now
        """;

    public async Task<IReadOnlyList<EnqueueOutcome>> EnqueueAsync(IReadOnlyList<EnqueueRequest> requests, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await EnqueueOnceAsync(requests, ct);
            }
            catch (PostgresException ex) when (attempt < EnqueueAttempts && ex.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure)
            {
                // The transaction rolled back as a whole; nothing of it is visible. Take turns and redo it.
                // A real pause, not the TimeProvider's: it spaces out two live transactions, it stamps nothing.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 50) * attempt), ct);
            }
        }
    }

    private async Task<IReadOnlyList<EnqueueOutcome>> EnqueueOnceAsync(IReadOnlyList<EnqueueRequest> requests, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var nowMs = now.ToUnixTimeMilliseconds();
        var outcomes = new EnqueueOutcome[requests.Count];
        var stored = new List<NewMessage>();
        var unlimited = new List<NewMessage>();
        await using var connection = await db.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var admission = new PostgresAdmission(connection, tx);
        // Accounts in a fixed order, so two nodes' batches lock the same usage rows in the same order
        // (first come, first served still holds within an account: the sort is stable).
        foreach (var i in Enumerable.Range(0, requests.Count).OrderBy(i => AccountOf(requests[i]), StringComparer.Ordinal))
        {
            var request = requests[i];
            // The key is claimed before anything is counted: a retry of a stored request is
            // answered from the key and costs no quota.
            if (request.Claim is { } claim)
            {
                await tx.SaveAsync("request", ct);
                if (await Admission.ClaimAsync(connection, tx, claim, nowMs, ct) is { } duplicate)
                {
                    await tx.ReleaseAsync("request", ct);
                    outcomes[i] = duplicate;
                    continue;
                }
            }

            var results = new EnqueueResult[request.Messages.Count];
            var storedHere = 0;
            for (var m = 0; m < results.Length; m++)
            {
                var message = request.Messages[m];
                if (PostgresAdmission.IsUnlimited(message))
                {
                    results[m] = new EnqueueResult.Stored();
                    unlimited.Add(message);
                }
                else
                {
                    results[m] = await Admission.CountAsync(tx, admission, message, now, ct);
                    if (results[m] is not EnqueueResult.Stored) continue;
                }
                stored.Add(message);
                storedHere++;
            }

            if (request.Claim is { } kept)
            {
                // A request refused as a whole leaves no trace, so that its retry can succeed later.
                if (storedHere == 0) await tx.RollbackAsync("request", ct);
                else await Admission.RememberAsync(connection, tx, kept, kept.Respond(results), ct);
                await tx.ReleaseAsync("request", ct);
            }
            outcomes[i] = new EnqueueOutcome.Done(results);
        }
        // Admission decided everything above; the counts nothing can refuse and the rows themselves
        // go in with a few array statements.
        await admission.CountUnlimitedAsync(unlimited, now, ct);
        await InsertAsync(connection, tx, stored, nowMs, ct);
        if (stored.Count > 0) await NotifyAsync(connection, tx, ct);
        await tx.CommitAsync(ct);
        return outcomes;
    }

    // Delivered to the listening sender nodes when (and only if) the transaction commits.
    internal static Task NotifyAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition("SELECT pg_notify(@Channel, '')", new { PostgresQueueListener.Channel }, tx, cancellationToken: ct));

    private static string AccountOf(EnqueueRequest request) => request.Claim?.AccountId ?? (request.Messages.Count > 0 ? request.Messages[0].AccountId : "");

    /// <summary>The rows of new messages in <paramref name="tx"/>: the enqueue's, the result recording's (bounce notifications) and <see cref="QueueInsert"/>'s.</summary>
    internal static async Task InsertAsync(NpgsqlConnection connection, NpgsqlTransaction tx, IReadOnlyList<NewMessage> batch, long now, CancellationToken ct)
    {
        if (batch.Count == 0) return;
        await connection.ExecuteAsync(new CommandDefinition(InsertMessages, new
        {
            Ids = batch.Select(m => m.Id.ToString()).ToArray(),
            AccountIds = batch.Select(m => m.AccountId).ToArray(),
            Sources = batch.Select(m => m.Source.ToDb()).ToArray(),
            EnvelopeFroms = batch.Select(m => m.EnvelopeFrom).ToArray(),
            HeaderFroms = batch.Select(m => m.HeaderFrom).ToArray(),
            Subjects = batch.Select(m => m.Subject).ToArray(),
            Tags = batch.Select(m => m.Tags.Count == 0 ? null : JsonSerializer.Serialize(m.Tags)).ToArray(),
            Metadata = batch.Select(m => m.Metadata is null or { Count: 0 } ? null : JsonSerializer.Serialize(m.Metadata)).ToArray(),
            Sizes = batch.Select(m => m.Raw.LongLength).ToArray(),
            Raws = batch.Select(m => m.Raw).ToArray(),
            CreatedAts = batch.Select(m => m.CreatedAt.ToUnixTimeMilliseconds()).ToArray(),
            SendAts = batch.Select(m => m.SendAt?.ToUnixTimeMilliseconds()).ToArray(),
        }, tx, cancellationToken: ct));

        // A scheduled message's recipients are simply not due before its time.
        var recipients = batch.SelectMany(m => m.Recipients.Select(address => (Message: m, Address: address,
            DueAt: m.SendAt is { } sendAt ? Math.Max(now, sendAt.ToUnixTimeMilliseconds()) : now))).ToArray();
        if (recipients.Length > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(InsertRecipients, new
            {
                MessageIds = recipients.Select(r => r.Message.Id.ToString()).ToArray(),
                AccountIds = recipients.Select(r => r.Message.AccountId).ToArray(),
                Addresses = recipients.Select(r => r.Address).ToArray(),
                Domains = recipients.Select(r => SqliteQueueStore.DomainOf(r.Address)).ToArray(),
                DueAts = recipients.Select(r => r.DueAt).ToArray(),
                Now = now,
            }, tx, cancellationToken: ct));
        }

        var tags = batch.SelectMany(m => m.Tags.Distinct(StringComparer.Ordinal).Select(tag => (m.AccountId, Tag: tag, MessageId: m.Id.ToString()))).ToArray();
        if (tags.Length > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(InsertTags, new
            {
                AccountIds = tags.Select(t => t.AccountId).ToArray(),
                Tags = tags.Select(t => t.Tag).ToArray(),
                MessageIds = tags.Select(t => t.MessageId).ToArray(),
            }, tx, cancellationToken: ct));
        }
    }

    /// <summary>Nothing to do: a PostgreSQL commit is durable when it returns (<c>synchronous_commit</c> on).</summary>
    public Task FlushAsync(CancellationToken ct) => Task.CompletedTask;

    public async Task<Lease> LeaseAsync(int limit, TimeSpan leaseFor, IReadOnlyCollection<string> skipDomains, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var until = now + leaseFor;
        var token = Random.Shared.NextInt64(1, long.MaxValue);
        await using var connection = await db.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var rows = (await connection.QueryAsync<QueueQueries.LeasedRow>(new CommandDefinition(Lease,
            new { Until = until.ToUnixTimeMilliseconds(), Token = token, Now = now.ToUnixTimeMilliseconds(), Limit = (long)limit, Window = (long)QueueQueries.RetryWindow(limit), Skip = skipDomains.ToArray() },
            tx, cancellationToken: ct))).AsList();
        rows.AddRange(await _behind.LeaseAsync(connection, tx, skipDomains, limit - rows.Count,
            async (domains, wanted) => (await connection.QueryAsync<QueueQueries.LeasedRow>(new CommandDefinition(LeaseBehind,
                new { Until = until.ToUnixTimeMilliseconds(), Token = token, Now = now.ToUnixTimeMilliseconds(), Limit = (long)wanted, Domains = domains },
                tx, cancellationToken: ct))).AsList(), ct));
        if (rows.Count == 0)
        {
            await tx.CommitAsync(ct);
            return Queue.Lease.Empty;
        }

        var messageIds = rows.Select(r => r.MessageId).Distinct().ToArray();
        var messages = await connection.QueryAsync<QueueQueries.QueuedMessageRow>(new CommandDefinition(
            $"SELECT {QueueQueries.QueuedMessageColumns} FROM messages WHERE id = ANY(@Ids)",
            new { Ids = messageIds }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);

        return QueueQueries.ToLease(token, until, rows, messages);
    }

    public async Task RecordAsync(IReadOnlyList<LeaseResults> batches, CancellationToken ct)
    {
        var results = batches.SelectMany((b, job) => b.Results.Select(r => (b.LeaseToken, Job: job, Result: r))).ToArray();
        if (results.Length == 0) return;
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await db.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var held = (await connection.QueryAsync<int>(new CommandDefinition(Record, new
        {
            Ids = results.Select(r => r.Result.RecipientId).ToArray(),
            Tokens = results.Select(r => r.LeaseToken).ToArray(),
            Jobs = results.Select(r => r.Job).ToArray(),
            Statuses = results.Select(r => r.Result.Status.ToDb()).ToArray(),
            NextAttempts = results.Select(r => r.Result.NextAttemptAt?.ToUnixTimeMilliseconds()).ToArray(),
            Responses = results.Select(r => r.Result.Response).ToArray(),
            ReplyCodes = results.Select(r => (long?)r.Result.Reply.Code).ToArray(),
            EnhancedStatuses = results.Select(r => r.Result.Reply.EnhancedStatus).ToArray(),
            Mxs = results.Select(r => r.Result.Mx).ToArray(),
            MessageIds = results.Select(r => r.Result.MessageId.ToString()).ToArray(),
            Suppress = results.Select(r => r.Result.Suppress).ToArray(),
            Now = now,
        }, tx, cancellationToken: ct))).ToHashSet();
        // Bounce notifications commit with the bounces they report, and only when their lease still held.
        var notifications = batches.Where((_, job) => held.Contains(job)).SelectMany(b => b.Notifications).ToArray();
        if (notifications.Length > 0)
        {
            await InsertAsync(connection, tx, notifications, now, ct);
            await NotifyAsync(connection, tx, ct);
        }
        await tx.CommitAsync(ct);
    }

    public async Task ReleaseAsync(long leaseToken, CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await db.OpenAsync(ct);
        // A stopping node's recipients are due at once: tell the other senders.
        if (await connection.ExecuteAsync(new CommandDefinition(MakeDue + " WHERE lease_token = @Token AND status = 'sending'",
                new { Token = leaseToken, Due = now, Now = now }, cancellationToken: ct)) > 0)
            await NotifyAsync(connection, null, ct);
    }

    /// <summary>
    /// Nothing to do: on a shared database the leases still held may belong to live nodes. A
    /// crashed node's recipients come back when its leases run out.
    /// </summary>
    public Task RecoverAsync(CancellationToken ct) => Task.CompletedTask;

    public async Task PostponeAsync(long leaseToken, IReadOnlyList<long> recipientIds, DateTimeOffset dueAt, CancellationToken ct)
    {
        if (recipientIds.Count == 0) return;
        await using var connection = await db.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(MakeDue + " WHERE id = ANY(@Ids) AND lease_token = @Token AND status = 'sending'",
            new { Ids = recipientIds.ToArray(), Token = leaseToken, Due = dueAt.ToUnixTimeMilliseconds(), Now = clock.GetUtcNow().ToUnixTimeMilliseconds() },
            cancellationToken: ct));
    }
}
