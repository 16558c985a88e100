using System.Collections.Concurrent;
using System.Text;
using EmailApi.Queue;

namespace EmailApi.Hosting;

/// <summary>
/// Counters for the Prometheus endpoint: messages accepted per door, recipient outcomes, SMTP
/// attempts. Kept as plain atomic counters so the hot paths pay one interlocked add.
/// </summary>
public sealed class RelayMetrics
{
    private readonly ConcurrentDictionary<string, long> _accepted = new();
    private readonly ConcurrentDictionary<string, long> _outcomes = new();
    private long _acceptedRecipients;

    public void Accepted(MessageSource source, int recipients)
    {
        _accepted.AddOrUpdate(source.ToString().ToLowerInvariant(), 1, (_, n) => n + 1);
        Interlocked.Add(ref _acceptedRecipients, recipients);
    }

    public void Outcome(RecipientStatus status) => _outcomes.AddOrUpdate(status.ToDb(), 1, (_, n) => n + 1);

    /// <summary>The Prometheus text exposition format (version 0.0.4).</summary>
    public string Render(IReadOnlyDictionary<RecipientStatus, long> queueDepth)
    {
        var text = new StringBuilder();
        text.AppendLine("# HELP emailapi_messages_accepted_total Messages made durable, by the door they came through.");
        text.AppendLine("# TYPE emailapi_messages_accepted_total counter");
        foreach (var (source, count) in _accepted.OrderBy(p => p.Key))
            text.AppendLine($"emailapi_messages_accepted_total{{source=\"{source}\"}} {count}");
        text.AppendLine("# HELP emailapi_recipients_accepted_total Recipients made durable.");
        text.AppendLine("# TYPE emailapi_recipients_accepted_total counter");
        text.AppendLine($"emailapi_recipients_accepted_total {Interlocked.Read(ref _acceptedRecipients)}");
        text.AppendLine("# HELP emailapi_delivery_attempts_total Recipient delivery attempts by outcome.");
        text.AppendLine("# TYPE emailapi_delivery_attempts_total counter");
        foreach (var (outcome, count) in _outcomes.OrderBy(p => p.Key))
            text.AppendLine($"emailapi_delivery_attempts_total{{outcome=\"{outcome}\"}} {count}");
        text.AppendLine("# HELP emailapi_queue_recipients Recipients in the queue that are not final yet.");
        text.AppendLine("# TYPE emailapi_queue_recipients gauge");
        foreach (var (status, count) in queueDepth.OrderBy(p => p.Key))
            text.AppendLine($"emailapi_queue_recipients{{status=\"{status.ToDb()}\"}} {count}");
        return text.ToString();
    }
}
