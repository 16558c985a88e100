using System.Threading.Channels;
using EmailApi.TlsReports;
using Microsoft.Extensions.Options;

namespace EmailApi.Delivery.MtaSts;

/// <summary>
/// TLS session results per policy domain, the counts an RFC 8460 report summarises: successful
/// sessions and failures by result type and MX host (§4.3). Lifetime counts per node go to
/// <see cref="DeliveryMetrics"/> (/metrics); with TlsReports:Enabled each session is also queued, stamped with its UTC day, for the
/// <see cref="TlsReportWorker"/> to add to the database counts every node shares (<see cref="ITlsReportStore"/>).
/// The relay's checks are synchronous, so the database write happens off the delivery path.
/// </summary>
public sealed class TlsResults(IOptions<TlsReportOptions> options, TimeProvider clock, DeliveryMetrics metrics)
{
    private readonly Channel<PendingTlsResult> _pending = Channel.CreateUnbounded<PendingTlsResult>(new() { SingleReader = true });

    public void Success(string domain, MtaStsPolicy? policy) => Add(domain, policy, "success", null);

    public void Failure(string domain, MtaStsPolicy? policy, string resultType, string? mx = null) => Add(domain, policy, resultType, mx);

    /// <summary>Sessions not yet added to the database counts, in the order they happened.</summary>
    public ChannelReader<PendingTlsResult> Pending => _pending.Reader;

    private void Add(string domain, MtaStsPolicy? policy, string result, string? mx)
    {
        var mode = (policy?.Mode ?? MtaStsMode.None).ToString().ToLowerInvariant();
        metrics.TlsSession(domain, mode, result);
        if (options.Value.Enabled)
            _pending.Writer.TryWrite(new PendingTlsResult(DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime), new TlsResultKey(domain, result, mx), policy));
    }
}

/// <summary>One line of a report period: a policy domain, a result type (<c>success</c> or an RFC 8460 §4.3 type) and the MX host concerned.</summary>
public readonly record struct TlsResultKey(string Domain, string Result, string? Mx);

/// <summary>One session waiting to be counted: its UTC day (the report it belongs to), its line and the policy in force.</summary>
public sealed record PendingTlsResult(DateOnly Day, TlsResultKey Key, MtaStsPolicy? Policy);
