using System.Diagnostics.Metrics;
using EmailApi.Queue;

namespace EmailApi.Delivery;

/// <summary>
/// The sender's instruments (meter <c>EmailApi.Delivery</c>): recipient attempts by outcome, SMTP
/// connections opened and reused, how long an attempt took, how long mail waited in the queue
/// (accepted to first attempt, accepted to delivered), and outbound TLS sessions under MTA-STS.
/// Every outcome's series exists from the start, at zero, so a rate over it is defined at once.
/// </summary>
public sealed class DeliveryMetrics
{
    public const string MeterName = "EmailApi.Delivery";

    // Seconds, from a local hand-off to a queue lifetime of days (Postfix's default is 5).
    private static readonly IReadOnlyList<double> QueueTimeBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 86400, 5 * 86400];
    // Seconds for one SMTP transaction, up to the relay's own timeouts (minutes).
    internal static readonly IReadOnlyList<double> AttemptBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
    private static readonly RecipientStatus[] Outcomes = [RecipientStatus.Delivered, RecipientStatus.Deferred, RecipientStatus.Bounced, RecipientStatus.Failed];

    private readonly Counter<long> _attempts;
    private readonly Counter<long> _connections;
    private readonly Counter<long> _connectionsReused;
    private readonly Counter<long> _tlsSessions;
    private readonly Counter<long> _putBack;
    private readonly Histogram<double> _attemptDuration;
    private readonly Histogram<double> _firstAttemptWait;
    private readonly Histogram<double> _deliveredWait;

    public DeliveryMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _attempts = meter.CreateCounter<long>("emailapi.delivery.attempts", "{recipient}", "Recipient delivery attempts by outcome.");
        _connections = meter.CreateCounter<long>("emailapi.delivery.connections", "{connection}", "SMTP connections opened to receiving servers.");
        _connectionsReused = meter.CreateCounter<long>("emailapi.delivery.connections.reused", "{delivery}", "Deliveries that took an open connection from the connection cache.");
        _tlsSessions = meter.CreateCounter<long>("emailapi.tls.sessions", "{session}", "Outbound TLS sessions under MTA-STS policies, by policy domain, mode and RFC 8460 result type.");
        _putBack = meter.CreateCounter<long>("emailapi.delivery.put_back", "{recipient}",
            "Leased recipients returned to the queue without an attempt: their destination had no room for another job (busy), was over its message rate (throttled) or was suspended.");
        _attemptDuration = meter.CreateHistogram("emailapi.delivery.attempt.duration", "s",
            "Time of one delivery job: the SMTP transactions for up to 20 messages of one destination over one connection, by outcome of its recipients.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = AttemptBuckets });
        _firstAttemptWait = meter.CreateHistogram("emailapi.queue.time_to_first_attempt", "s",
            "Time from acceptance to a recipient's first delivery attempt (a scheduled send counts from its acceptance).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = QueueTimeBuckets });
        _deliveredWait = meter.CreateHistogram("emailapi.queue.time_to_delivery", "s",
            "Time from acceptance to a recipient's successful delivery, retries included.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = QueueTimeBuckets });

        foreach (var outcome in Outcomes) _attempts.Add(0, Outcome(outcome));
        _connections.Add(0);
        _connectionsReused.Add(0);
        foreach (var reason in PutBackReasons) _putBack.Add(0, new KeyValuePair<string, object?>("reason", reason));
    }

    private static readonly string[] PutBackReasons = ["busy", "throttled", "suspended"];

    /// <summary>Leased recipients returned to the queue without an attempt; <paramref name="reason"/> is busy, throttled or suspended.</summary>
    public void PutBack(string reason, int recipients)
    {
        if (recipients > 0) _putBack.Add(recipients, new KeyValuePair<string, object?>("reason", reason));
    }

    /// <summary>An SMTP connection opened to a receiving server (or the smart host).</summary>
    public void ConnectionOpened() => _connections.Add(1);

    /// <summary>A delivery that took an open connection from the connection cache instead of opening one.</summary>
    public void ConnectionReused() => _connectionsReused.Add(1);

    public void TlsSession(string domain, string policyMode, string result) =>
        _tlsSessions.Add(1, new("domain", domain), new("policy", policyMode), new("result", result));

    /// <summary>One recorded attempt for a recipient accepted at <paramref name="acceptedAt"/>.</summary>
    public void Attempted(RecipientStatus outcome, int previousAttempts, DateTimeOffset acceptedAt, DateTimeOffset now)
    {
        _attempts.Add(1, Outcome(outcome));
        if (previousAttempts == 0) _firstAttemptWait.Record(Math.Max(0, (now - acceptedAt).TotalSeconds));
        if (outcome == RecipientStatus.Delivered) _deliveredWait.Record(Math.Max(0, (now - acceptedAt).TotalSeconds));
    }

    /// <summary>One delivery job's SMTP time; its outcome is the best its recipients reached (delivered, deferred, bounced, failed).</summary>
    public void JobFinished(TimeSpan elapsed, IReadOnlyList<RecipientResult> results)
    {
        if (results.Count == 0) return;
        var best = Outcomes.First(o => results.Any(r => r.Status == o));   // Outcomes is ordered best first
        _attemptDuration.Record(elapsed.TotalSeconds, Outcome(best));
    }

    private static KeyValuePair<string, object?> Outcome(RecipientStatus status) => new("outcome", status.ToDb());
}
