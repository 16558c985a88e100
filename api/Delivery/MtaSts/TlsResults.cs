using System.Collections.Concurrent;
using System.Text;

namespace EmailApi.Delivery.MtaSts;

/// <summary>
/// TLS session results per policy domain, the counts an RFC 8460 report summarises: successful
/// sessions and failures by result type (§4.3). Kept in memory per node and shown on /metrics.
/// </summary>
public sealed class TlsResults
{
    private readonly ConcurrentDictionary<(string Domain, string Policy, string Result), long> _counts = new();

    public void Success(string domain, MtaStsMode mode) => Add(domain, mode, "success");

    public void Failure(string domain, MtaStsMode mode, string resultType) => Add(domain, mode, resultType);

    public long Count(string domain, string result) =>
        _counts.Where(c => c.Key.Domain == domain && c.Key.Result == result).Sum(c => c.Value);

    public string Render()
    {
        var text = new StringBuilder();
        text.AppendLine("# HELP emailapi_tls_sessions_total Outbound TLS sessions under MTA-STS policies, by policy domain, mode and RFC 8460 result type.");
        text.AppendLine("# TYPE emailapi_tls_sessions_total counter");
        foreach (var ((domain, policy, result), count) in _counts.OrderBy(c => c.Key))
            text.AppendLine($"emailapi_tls_sessions_total{{domain=\"{domain}\",policy=\"{policy}\",result=\"{result}\"}} {count}");
        return text.ToString();
    }

    private void Add(string domain, MtaStsMode mode, string result) =>
        _counts.AddOrUpdate((domain, mode.ToString().ToLowerInvariant(), result), 1, (_, n) => n + 1);
}
