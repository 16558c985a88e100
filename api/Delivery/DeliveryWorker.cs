using System.Collections.Concurrent;
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
    SmtpRelay relay,
    RetrySchedule retry,
    QueueSignal signal,
    IOptions<DeliveryOptions> options,
    TimeProvider clock,
    ILogger<DeliveryWorker> log) : BackgroundService
{
    // Messages sent one after another over one connection; larger queues for a domain open more
    // connections, up to the per-domain limit.
    private const int MessagesPerConnection = 20;
    private static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan LeaseSafetyMargin = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, SemaphoreSlim> _domainSlots = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<long, byte> _interruptedLeases = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        using var work = new CancellationTokenSource();
        await using var stopping = stoppingToken.Register(() => work.CancelAfter(ShutdownGrace));
        var jobs = new List<Task>();

        while (!stoppingToken.IsCancellationRequested)
        {
            jobs.RemoveAll(j => j.IsCompleted);
            try
            {
                if (jobs.Count >= settings.MaxConcurrency)
                {
                    await Task.WhenAny(jobs).WaitAsync(stoppingToken);
                    continue;
                }

                var lease = await store.LeaseAsync(settings.BatchSize, settings.LeaseDuration, stoppingToken);
                if (lease.Recipients.Count == 0)
                {
                    await signal.WaitAsync(settings.PollInterval, stoppingToken);
                    continue;
                }
                foreach (var (domain, envelopes) in Plan(lease))
                    jobs.Add(RunAsync(lease, domain, envelopes, work.Token));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                log.LogError(ex, "The sender could not read the queue; retrying");
                await Task.Delay(settings.PollInterval, clock, CancellationToken.None);
            }
        }

        await Task.WhenAll(jobs);
        foreach (var token in _interruptedLeases.Keys)
            await store.ReleaseAsync(token, CancellationToken.None);   // must run although we are stopping
    }

    private static IEnumerable<(string Domain, IReadOnlyList<Envelope> Envelopes)> Plan(Lease lease) =>
        lease.Recipients
            .Where(r => lease.Messages.ContainsKey(r.MessageId))
            .GroupBy(r => r.Domain, StringComparer.OrdinalIgnoreCase)
            .SelectMany(domain => domain
                .GroupBy(r => r.MessageId)
                .Select(m => new Envelope(lease.Messages[m.Key], m.ToArray()))
                .Chunk(MessagesPerConnection)
                .Select(chunk => (domain.Key, (IReadOnlyList<Envelope>)chunk)));

    private async Task RunAsync(Lease lease, string domain, IReadOnlyList<Envelope> envelopes, CancellationToken ct)
    {
        var slots = _domainSlots.GetOrAdd(domain, _ => new SemaphoreSlim(options.Value.PerDomainConcurrency));
        try
        {
            await Task.Yield();
            await slots.WaitAsync(ct);
            try
            {
                // A job that waited past its lease must not send: the recipients may already be someone else's.
                if (clock.GetUtcNow() > lease.Until - LeaseSafetyMargin) return;
                var outcomes = await relay.DeliverAsync(domain, envelopes, ct);
                // The remote hosts have answered; this write must survive shutdown, or we resend on restart.
                await store.RecordAsync(lease.Token, outcomes.Select(o => ToResult(o, lease.Messages[o.Recipient.MessageId].CreatedAt)).ToArray(), CancellationToken.None);
            }
            finally
            {
                slots.Release();
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            _interruptedLeases.TryAdd(lease.Token, 0);
        }
        catch (Exception ex)
        {
            // A bug or a database failure: the lease runs out and the recipients are tried again.
            log.LogError(ex, "Delivery to {Domain} failed unexpectedly", domain);
            _interruptedLeases.TryAdd(lease.Token, 0);
        }
    }

    private RecipientResult ToResult(RecipientOutcome item, DateTimeOffset queuedAt)
    {
        var (recipient, outcome) = (item.Recipient, item.Outcome);
        var message = recipient.MessageId;
        switch (outcome)
        {
            case DeliveryOutcome.Delivered d:
                return new RecipientResult(recipient.Id, message, RecipientStatus.Delivered, d.Tls is null ? d.Reply : $"{d.Reply} (TLS: {d.Tls})", d.Mx, null);
            case DeliveryOutcome.Bounced b:
                return new RecipientResult(recipient.Id, message, RecipientStatus.Bounced, b.Reply, b.Mx, null);
            case DeliveryOutcome.Failed f:
                return new RecipientResult(recipient.Id, message, RecipientStatus.Failed, f.Reply, null, null);
            case DeliveryOutcome.Deferred d:
                var now = clock.GetUtcNow();
                return retry.Next(recipient.Attempts + 1, queuedAt, now, RetrySchedule.RandomJitter()) is { } next
                    ? new RecipientResult(recipient.Id, message, RecipientStatus.Deferred, d.Reply, d.Mx, next)
                    : new RecipientResult(recipient.Id, message, RecipientStatus.Bounced,
                        $"5.4.7 Gave up after {recipient.Attempts + 1} attempts over {options.Value.MaxQueueLifetime}; last reply: {d.Reply}", d.Mx, null);
            default:
                throw new InvalidOperationException($"Unknown outcome {outcome}");
        }
    }
}
