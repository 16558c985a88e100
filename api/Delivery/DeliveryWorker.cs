using System.Collections.Concurrent;
using System.Diagnostics;
using EmailApi.Mail;
using EmailApi.Queue;
using Microsoft.Extensions.Options;

namespace EmailApi.Delivery;

/// <summary>
/// The sender: leases due recipients, groups them by destination domain and message, hands each
/// group to <see cref="SmtpRelay"/> and records every outcome. It is the only place where the
/// queue and the network meet. A crash delays recipients by one lease and never loses them; on a
/// graceful stop running transactions get a short grace period, and what is left is released.
/// </summary>
public sealed class DeliveryWorker(
    IQueueStore store,
    ResultWriter results,
    SmtpRelay relay,
    RetrySchedule retry,
    DestinationThrottle throttle,
    QueueSignal signal,
    SenderHeartbeat heartbeat,
    DeliveryMetrics metrics,
    IOptions<DeliveryOptions> options,
    IOptions<RelayHostOptions> relayHost,
    IOptions<BounceNotificationOptions> notifications,
    TimeProvider clock,
    ILogger<DeliveryWorker> log) : BackgroundService
{
    // At most this many messages are sent one after another over one connection. A domain's leased
    // messages are spread over its connection limit (Postfix gives each delivery its own agent up to
    // the destination concurrency), so a destination that answers slowly gets several connections
    // at once instead of one doing all in turn; but a connection gets at least MinMessagesPerConnection
    // of them when there are that many, as a new connection per message costs twice the CPU and two
    // round trips more (measured with scripts/bench/many-destinations.sh).
    private const int MessagesPerConnection = 20;
    private const int MinMessagesPerConnection = 5;
    private static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(3);
    // A job does not start sending this close to its lease's end (at most a quarter of the lease).
    private static readonly TimeSpan LeaseSafetyMargin = TimeSpan.FromSeconds(30);
    // Recipients that find no job place at their destination (a lease read while the destination's
    // jobs were counted; see JobPlaces) wait this long in the queue.
    private static readonly TimeSpan BusyDestinationDelay = TimeSpan.FromSeconds(1);
    // A job prepares its delivery (MX hosts, MTA-STS policy) before it waits for a slot; one that
    // waited longer than this behind a slow destination prepares it again before it dials.
    private static readonly TimeSpan PlanFreshFor = TimeSpan.FromSeconds(30);
    // Dead-destination detection (Postfix's qmgr; KumoMTA suspends a ready queue likewise): after
    // this many transactions in a row in which a destination took no recipient and deferred them
    // all, it is suspended for the first retry delay (at most SuspendAtMost). Meanwhile the lease
    // leaves its recipients in the queue and jobs already leased for it are put back without an
    // attempt, so a site that defers everything costs one transaction per suspension instead of one
    // per due recipient, and its retries cannot crowd out fresh mail. One greylisted recipient
    // (a single deferral between deliveries) never suspends a domain.
    private const int DeferredTransactionsBeforeSuspension = 3;
    private static readonly TimeSpan SuspendAtMost = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, int> _domainJobs = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _domainSlots = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<long, byte> _interruptedLeases = new();
    private readonly ConcurrentDictionary<string, (int Deferred, DateTimeOffset Until)> _destinationHealth = new(StringComparer.OrdinalIgnoreCase);
    // SMTP transactions under way over all destinations (Delivery:MaxConcurrency). Only a job that
    // holds its destination's slot takes one, so jobs waiting behind a stalled destination's limit
    // never keep another destination from sending.
    private SemaphoreSlim? _transactions;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        using var work = new CancellationTokenSource();
        await using var stopping = stoppingToken.Register(() => work.CancelAfter(ShutdownGrace));
        var jobs = new List<Task>();
        using var transactions = _transactions = new SemaphoreSlim(settings.MaxConcurrency);
        // Jobs waiting for a slot cost only memory; this bounds it (per destination it is bounded anyway).
        var maxJobs = settings.MaxConcurrency * (2 + JobPlaces.WaitingJobsPerSlot);
        var safetyMargin = TimeSpan.FromTicks(Math.Min(LeaseSafetyMargin.Ticks, settings.LeaseDuration.Ticks / 4));
        try
        {
            await store.RecoverAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            jobs.RemoveAll(j => j.IsCompleted);
            heartbeat.Beat();
            try
            {
                if (jobs.Count >= maxJobs || transactions.CurrentCount == 0)
                {
                    // Bounded, so the heartbeat shows the loop alive while every slot is busy.
                    await IdleAsync(jobs, settings.PollInterval, stoppingToken);
                    continue;
                }

                var lease = await store.LeaseAsync(settings.BatchSize, settings.LeaseDuration, FullDestinations(), stoppingToken);
                heartbeat.Leased();
                if (lease.Recipients.Count == 0)
                {
                    await signal.WaitAsync(settings.PollInterval, stoppingToken);
                    continue;
                }
                var started = 0;
                foreach (var (domain, envelopes) in Plan(lease))
                    started += await DispatchAsync(lease, domain, envelopes, jobs, safetyMargin, work.Token);
                // Everything was throttled or its destination is busy: wait for a slot to free.
                if (started == 0) await IdleAsync(jobs, settings.PollInterval, stoppingToken);
                else if (lease.Recipients.Count < settings.BatchSize && settings.LeaseGatherDelay > TimeSpan.Zero)
                    await Task.Delay(settings.LeaseGatherDelay, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                log.LogError(ex, "The sender could not read the queue; retrying");
                await Task.Delay(settings.PollInterval, CancellationToken.None);
            }
        }

        await Task.WhenAll(jobs);
        foreach (var token in _interruptedLeases.Keys)
            await store.ReleaseAsync(token, CancellationToken.None);   // must run although we are stopping
    }

    /// <summary>Destinations without room for a lease's worth of jobs, and suspended ones: the next lease leaves them out.</summary>
    private IReadOnlyCollection<string> FullDestinations()
    {
        var now = clock.GetUtcNow();
        return _domainJobs
            .Where(p => JobPlaces.Full(p.Value, Slots(p.Key)))
            .Select(p => p.Key)
            .Concat(_destinationHealth.Where(p => p.Value.Until > now).Select(p => p.Key))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToArray();
    }

    private DateTimeOffset? SuspendedUntil(string domain) =>
        _destinationHealth.TryGetValue(domain, out var health) && health.Until > clock.GetUtcNow() ? health.Until : null;

    /// <summary>Counts transactions that deferred every recipient; suspends the destination after enough in a row.</summary>
    private void NoteTransaction(string domain, IReadOnlyList<RecipientOutcome> outcomes)
    {
        if (outcomes.Count == 0) return;
        if (!outcomes.All(o => o.Outcome is DeliveryOutcome.Deferred))
        {
            _destinationHealth.TryRemove(domain, out _);
            return;
        }
        var suspendFor = retry.FirstDelay < SuspendAtMost ? retry.FirstDelay : SuspendAtMost;
        var now = clock.GetUtcNow();
        var health = _destinationHealth.AddOrUpdate(domain, (1, DateTimeOffset.MinValue), (_, h) =>
            h.Deferred + 1 >= DeferredTransactionsBeforeSuspension ? (0, now + suspendFor) : (h.Deferred + 1, h.Until));
        if (health.Until == now + suspendFor)
            log.LogInformation("Destination {Domain} deferred every recipient of {Count} transactions in a row; suspended until {Until}",
                domain, DeferredTransactionsBeforeSuspension, health.Until);
    }

    private static async Task IdleAsync(List<Task> jobs, TimeSpan atMost, CancellationToken ct)
    {
        await Task.WhenAny(jobs.Where(j => !j.IsCompleted).Append(Task.Delay(atMost, ct)));
        ct.ThrowIfCancellationRequested();
    }

    private static IEnumerable<(string Domain, IReadOnlyList<Envelope> Envelopes)> Plan(Lease lease) =>
        lease.Recipients
            .Where(r => lease.Messages.ContainsKey(r.MessageId))
            .GroupBy(r => r.Domain, StringComparer.OrdinalIgnoreCase)
            .Select(domain => (domain.Key, (IReadOnlyList<Envelope>)domain
                .GroupBy(r => r.MessageId)
                .Select(m => new Envelope(lease.Messages[m.Key], m.ToArray()))
                .ToArray()));

    /// <summary>
    /// Starts up to the destination's connection limit of jobs, each a chunk of messages sent over
    /// one connection, within its message rate; what does not fit goes back to the queue without
    /// an attempt. Returns how many jobs started.
    /// </summary>
    private async Task<int> DispatchAsync(Lease lease, string domain, IReadOnlyList<Envelope> envelopes, List<Task> jobs, TimeSpan safetyMargin, CancellationToken ct)
    {
        var limit = Slots(domain);
        var (granted, nextSlot) = throttle.Take(domain, options.Value.For(domain).MessagesPerMinute, envelopes.Count);
        var started = 0;
        var busy = new List<long>();
        var perConnection = Math.Clamp((granted + limit - 1) / Math.Max(limit, 1), MinMessagesPerConnection, MessagesPerConnection);
        foreach (var chunk in envelopes.Take(granted).Chunk(perConnection))
        {
            if (_domainJobs.AddOrUpdate(domain, 1, (_, n) => n + 1) > JobPlaces.Max(limit))
            {
                _domainJobs.AddOrUpdate(domain, 0, (_, n) => n - 1);
                busy.AddRange(chunk.SelectMany(e => e.Recipients).Select(r => r.Id));
                continue;
            }
            jobs.Add(RunAsync(lease, domain, chunk, _domainSlots.GetOrAdd(domain, _ => new SemaphoreSlim(limit)), safetyMargin, ct));
            started++;
        }
        await store.PostponeAsync(lease.Token, busy, clock.GetUtcNow() + BusyDestinationDelay, CancellationToken.None);
        metrics.PutBack("busy", busy.Count);
        var throttled = envelopes.Skip(granted).SelectMany(e => e.Recipients).Select(r => r.Id).ToArray();
        await store.PostponeAsync(lease.Token, throttled, nextSlot, CancellationToken.None);
        metrics.PutBack("throttled", throttled.Length);
        return started;
    }

    private async Task RunAsync(Lease lease, string domain, IReadOnlyList<Envelope> envelopes, SemaphoreSlim slots, TimeSpan safetyMargin, CancellationToken ct)
    {
        var answered = false;
        var counted = true;   // in _domainJobs
        try
        {
            await Task.Yield();
            // The lookups (return paths, MX hosts, MTA-STS policy) are made while the job waits for
            // its slot, so a slot is held only while talking to the remote host.
            var plan = await relay.PrepareAsync(domain, envelopes, ct);
            IReadOnlyList<RecipientOutcome> outcomes;
            TimeSpan elapsed;
            // A plan that concluded without dialling (no MX, a loop) needs no slot.
            using (plan.Concluded ? null : await HoldSlotAsync(slots, ct))
            {
                // A job that waited past its lease must not send: the recipients may already be someone else's.
                if (clock.GetUtcNow() > lease.Until - safetyMargin) return;
                if (SuspendedUntil(domain) is { } suspended)
                {
                    // Leased before its destination was suspended: back to the queue, no attempt made.
                    var ids = envelopes.SelectMany(e => e.Recipients).Select(r => r.Id).ToArray();
                    await store.PostponeAsync(lease.Token, ids, suspended, CancellationToken.None);
                    metrics.PutBack("suspended", ids.Length);
                    return;
                }
                // A job that waited long behind a slow destination looks its hosts and policy up again.
                if (!plan.Concluded && clock.GetUtcNow() - plan.PreparedAt > PlanFreshFor) plan = await relay.PrepareAsync(domain, envelopes, ct);
                var sending = Stopwatch.GetTimestamp();
                outcomes = await relay.SendAsync(domain, plan, ct);
                elapsed = Stopwatch.GetElapsedTime(sending);
                // Before the slot is released: the destination's next job, which may take the slot
                // at once, must see the suspension this transaction may have caused.
                NoteTransaction(domain, outcomes);
            }
            // The connection is free again (and cached): the destination's next job may use it while
            // this one's results are written, so a slow disk does not make a destination look full.
            JobLeft(domain);
            counted = false;
            var recorded = outcomes.Select(o => ToResult(o, lease.Messages[o.Recipient.MessageId].CreatedAt)).ToArray();
            var notifications = Notifications(lease, outcomes, recorded);
            answered = true;
            // The remote hosts have answered; this write must survive shutdown, or we resend on restart.
            // It shares its commit with the results of the jobs that finished meanwhile.
            await results.WriteAsync(new LeaseResults(lease.Token, recorded, notifications), CancellationToken.None);
            metrics.JobFinished(elapsed, recorded);
            Recorded(lease, outcomes, recorded);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            _interruptedLeases.TryAdd(lease.Token, 0);
        }
        catch (Exception ex) when (answered)
        {
            // The results are known but the queue could not record them: the lease runs out and the
            // recipients are tried again (recording a deferral instead would fail the same way).
            log.LogError(ex, "Could not record the delivery results for {Domain}", domain);
            _interruptedLeases.TryAdd(lease.Token, 0);
        }
        catch (Exception ex)
        {
            // A bug, a message that cannot be read, a database failure: every recipient still gets
            // an attempt recorded (temporary, so the queue lifetime bounds the retries) and an event,
            // instead of sitting in 'sending' with nothing to show until the lease runs out.
            log.LogError(ex, "Delivery to {Domain} failed unexpectedly; deferring its recipients", domain);
            await DeferAfterFailureAsync(lease, envelopes, ex);
        }
        finally
        {
            if (counted) JobLeft(domain);
        }
    }

    /// <summary>
    /// The destination's connection slot, then one of <c>Delivery:MaxConcurrency</c>'s transactions
    /// (only a job holding its slot takes one, so jobs waiting behind a stalled destination never
    /// keep another destination from sending); disposing releases both.
    /// </summary>
    private async Task<SlotHold> HoldSlotAsync(SemaphoreSlim slots, CancellationToken ct)
    {
        await slots.WaitAsync(ct);
        try
        {
            await _transactions!.WaitAsync(ct);
        }
        catch
        {
            slots.Release();
            throw;
        }
        return new SlotHold(slots, _transactions);
    }

    private sealed class SlotHold(SemaphoreSlim slots, SemaphoreSlim transactions) : IDisposable
    {
        public void Dispose()
        {
            transactions.Release();
            slots.Release();
        }
    }

    /// <summary>
    /// A job of the destination holds no slot any more. When that gives a full destination room for
    /// a lease's worth of jobs again (while as many as it has slots still wait for one, so its
    /// connections stay busy while the lease is read), the lease loop, which may be waiting out its
    /// poll interval because every due recipient was at a full destination, is woken to take them
    /// (Postfix's qmgr likewise takes more from a destination's queue as its delivery agents
    /// finish). Waking it on every freed slot would lease a whole batch for one place and put the
    /// rest back.
    /// </summary>
    private void JobLeft(string domain)
    {
        if (JobPlaces.RoomAgain(_domainJobs.AddOrUpdate(domain, 0, (_, n) => n - 1), Slots(domain)))
            signal.Notify();
    }

    /// <summary>The destination's connection limit: its own or <c>Delivery:PerDomainConcurrency</c>.</summary>
    private int Slots(string domain) => options.Value.For(domain).Concurrency ?? options.Value.PerDomainConcurrency;

    private async Task DeferAfterFailureAsync(Lease lease, IReadOnlyList<Envelope> envelopes, Exception failure)
    {
        var reply = SmtpReply.Of(451, "4.3.0", $"Delivery failed unexpectedly ({failure.GetType().Name}); will retry");
        try
        {
            var outcomes = envelopes.SelectMany(e => e.Recipients).Select(r => new RecipientOutcome(r, new DeliveryOutcome.Deferred(reply, null))).ToArray();
            var recorded = outcomes.Select(o => ToResult(o, lease.Messages[o.Recipient.MessageId].CreatedAt)).ToArray();
            // Must be written although we may be stopping, like any other result.
            await results.WriteAsync(new LeaseResults(lease.Token, recorded, Notifications(lease, outcomes, recorded)), CancellationToken.None);
            Recorded(lease, outcomes, recorded);
        }
        catch (Exception ex)
        {
            // The queue itself is failing: the lease runs out and the recipients are tried again.
            log.LogError(ex, "Could not record the failed delivery to {Count} recipients", envelopes.Sum(e => e.Recipients.Count));
            _interruptedLeases.TryAdd(lease.Token, 0);
        }
    }

    /// <summary>Counts and logs recorded results, one log line per recipient (as Postfix does); <paramref name="outcomes"/> and <paramref name="results"/> run in parallel.</summary>
    private void Recorded(Lease lease, IReadOnlyList<RecipientOutcome> outcomes, IReadOnlyList<RecipientResult> results)
    {
        var now = clock.GetUtcNow();
        for (var i = 0; i < results.Count; i++)
        {
            var (recipient, result) = (outcomes[i].Recipient, results[i]);
            var message = lease.Messages[recipient.MessageId];
            metrics.Attempted(result.Status, recipient.Attempts, message.CreatedAt, now);
            DeliveryLog.Result(log, message.Id.ToString(), message.AccountId, recipient.Address, result.Status.ToDb(), result.Mx,
                recipient.Attempts + 1, Math.Round((now - message.CreatedAt).TotalSeconds, 3), result.NextAttemptAt, result.Response);
        }
    }

    /// <summary>One bounce notification per message that has recipients failing for good in this batch.</summary>
    private IReadOnlyList<NewMessage> Notifications(Lease lease, IReadOnlyList<RecipientOutcome> outcomes, IReadOnlyList<RecipientResult> results)
    {
        var dsnForApi = notifications.Value.DsnForApi;
        return outcomes.Zip(results)
            .Where(p => p.Second.Status is RecipientStatus.Bounced or RecipientStatus.Failed)
            .GroupBy(p => p.First.Recipient.MessageId)
            .Where(g => BounceNotification.Wanted(lease.Messages[g.Key], dsnForApi))
            .Select(g => BounceNotification.Create(lease.Messages[g.Key],
                g.Select(p => new BounceNotification.FailedRecipient(p.First.Recipient.Address, p.Second.Reply, p.Second.Mx, true)).ToArray(),
                relayHost.Value.HostName, clock))
            .ToArray();
    }

    private RecipientResult ToResult(RecipientOutcome item, DateTimeOffset queuedAt)
    {
        var (recipient, outcome) = (item.Recipient, item.Outcome);
        var message = recipient.MessageId;
        switch (outcome)
        {
            case DeliveryOutcome.Delivered d:
                return new RecipientResult(recipient.Id, message, RecipientStatus.Delivered, d.Tls is null ? d.Reply : d.Reply with { Text = $"{d.Reply.Text} (TLS: {d.Tls})" }, d.Mx, null);
            case DeliveryOutcome.Bounced b:
                return new RecipientResult(recipient.Id, message, RecipientStatus.Bounced, b.Reply, b.Mx, null, b.Reply.IsBadAddress);
            case DeliveryOutcome.Failed f:
                return new RecipientResult(recipient.Id, message, RecipientStatus.Failed, f.Reply, null, null, f.Reply.IsBadAddress);
            case DeliveryOutcome.Deferred d:
                var now = clock.GetUtcNow();
                return retry.Next(recipient.Attempts + 1, queuedAt, now, RetrySchedule.RandomJitter()) is { } next
                    ? new RecipientResult(recipient.Id, message, RecipientStatus.Deferred, d.Reply, d.Mx, next)
                    : new RecipientResult(recipient.Id, message, RecipientStatus.Bounced,
                        SmtpReply.Local("5.4.7", $"Gave up after {recipient.Attempts + 1} attempts over {options.Value.MaxQueueLifetime}; last reply: {d.Reply}"), d.Mx, null);
            default:
                throw new InvalidOperationException($"Unknown outcome {outcome}");
        }
    }
}
