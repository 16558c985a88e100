using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime;
using System.Text;
using EmailApi.Queue;

namespace EmailApi.Hosting;

/// <summary>
/// Counters for the Prometheus endpoint: messages accepted per door, recipient outcomes, SMTP
/// attempts. Kept as plain atomic counters so the hot paths pay one interlocked add.
/// </summary>
public sealed class RelayMetrics
{
    private readonly ConcurrentDictionary<MessageSource, long> _accepted = new();
    private readonly ConcurrentDictionary<string, long> _outcomes = new();
    private long _acceptedRecipients;
    private long _commits;
    private long _committedMessages;
    private long _commitTicks;
    private long _flushes;
    private long _flushTicks;
    private long _connectionsOpened;
    private long _connectionsReused;

    public void Accepted(MessageSource source, int recipients)
    {
        _accepted.AddOrUpdate(source, 1, (_, n) => n + 1);
        Interlocked.Add(ref _acceptedRecipients, recipients);
    }

    /// <summary>One group-commit transaction of the queue writer: how many messages it held and how long it took.</summary>
    public void Committed(int messages, TimeSpan elapsed)
    {
        Interlocked.Increment(ref _commits);
        Interlocked.Add(ref _committedMessages, messages);
        Interlocked.Add(ref _commitTicks, elapsed.Ticks);
    }

    /// <summary>One flush making the committed batches durable (an fsync of SQLite's log), and how long it took.</summary>
    public void Flushed(TimeSpan elapsed)
    {
        Interlocked.Increment(ref _flushes);
        Interlocked.Add(ref _flushTicks, elapsed.Ticks);
    }

    /// <summary>An SMTP connection opened to a receiving server (or the smart host).</summary>
    public void ConnectionOpened() => Interlocked.Increment(ref _connectionsOpened);

    /// <summary>A delivery that took an open connection from the connection cache instead of opening one.</summary>
    public void ConnectionReused() => Interlocked.Increment(ref _connectionsReused);

    public void Outcome(RecipientStatus status) => _outcomes.AddOrUpdate(status.ToDb(), 1, (_, n) => n + 1);

    /// <summary>The Prometheus text exposition format (version 0.0.4).</summary>
    public string Render(IReadOnlyDictionary<RecipientStatus, long> queueDepth)
    {
        var text = new StringBuilder();
        text.AppendLine("# HELP emailapi_messages_accepted_total Messages made durable, by the door they came through.");
        text.AppendLine("# TYPE emailapi_messages_accepted_total counter");
        foreach (var (source, count) in _accepted.OrderBy(p => p.Key.ToDb()))
            text.AppendLine($"emailapi_messages_accepted_total{{source=\"{source.ToDb()}\"}} {count}");
        Counter(text, "emailapi_recipients_accepted_total", "Recipients made durable.", Interlocked.Read(ref _acceptedRecipients));
        // The writer's time in transactions over wall time is its utilisation; messages over commits its batch size.
        Counter(text, "emailapi_queue_commits_total", "Group-commit transactions of the queue writer.", Interlocked.Read(ref _commits));
        Counter(text, "emailapi_queue_commit_messages_total", "Messages written by those transactions.", Interlocked.Read(ref _committedMessages));
        Counter(text, "emailapi_queue_commit_seconds_total", "Time the queue writer spent in those transactions.", Seconds(ref _commitTicks));
        Counter(text, "emailapi_queue_flushes_total", "Flushes that made committed batches durable before they were acknowledged.", Interlocked.Read(ref _flushes));
        Counter(text, "emailapi_queue_flush_seconds_total", "Time spent in those flushes (the fsync of SQLite's log).", Seconds(ref _flushTicks));
        text.AppendLine("# HELP emailapi_delivery_attempts_total Recipient delivery attempts by outcome.");
        text.AppendLine("# TYPE emailapi_delivery_attempts_total counter");
        foreach (var (outcome, count) in _outcomes.OrderBy(p => p.Key))
            text.AppendLine($"emailapi_delivery_attempts_total{{outcome=\"{outcome}\"}} {count}");
        Counter(text, "emailapi_delivery_connections_total", "SMTP connections opened to receiving servers.", Interlocked.Read(ref _connectionsOpened));
        Counter(text, "emailapi_delivery_connections_reused_total", "Deliveries that took an open connection from the connection cache.", Interlocked.Read(ref _connectionsReused));
        text.AppendLine("# HELP emailapi_queue_recipients Recipients in the queue that are not final yet.");
        text.AppendLine("# TYPE emailapi_queue_recipients gauge");
        foreach (var (status, count) in queueDepth.OrderBy(p => p.Key))
            text.AppendLine($"emailapi_queue_recipients{{status=\"{status.ToDb()}\"}} {count}");
        // The process as a whole: CPU used, and the JIT compiler's share. Tiered compilation keeps
        // recompiling hot code for the first minute or so under load; its time levelling off is how
        // a benchmark knows it measures the server as it runs for days, not its start-up.
        Counter(text, "process_cpu_seconds_total", "CPU time (user and system) used by this process.",
            Format(Environment.CpuUsage.TotalTime.TotalSeconds));
        Counter(text, "emailapi_jit_seconds_total", "Time the .NET runtime spent compiling methods.", Format(JitInfo.GetCompilationTime().TotalSeconds));
        Counter(text, "emailapi_jit_methods_total", "Methods compiled by the .NET runtime (tiered recompilations included).", JitInfo.GetCompiledMethodCount());
        return text.ToString();
    }

    private static void Counter(StringBuilder text, string name, string help, long value) =>
        Counter(text, name, help, value.ToString(CultureInfo.InvariantCulture));

    private static void Counter(StringBuilder text, string name, string help, string value)
    {
        text.AppendLine($"# HELP {name} {help}");
        text.AppendLine($"# TYPE {name} counter");
        text.AppendLine($"{name} {value}");
    }

    private static string Seconds(ref long ticks) => Format(TimeSpan.FromTicks(Interlocked.Read(ref ticks)).TotalSeconds);

    private static string Format(double seconds) => seconds.ToString("0.######", CultureInfo.InvariantCulture);
}
