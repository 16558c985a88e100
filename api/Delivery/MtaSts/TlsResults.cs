using System.Collections.Concurrent;
using System.Text;

namespace EmailApi.Delivery.MtaSts;

/// <summary>
/// TLS session results per policy domain, the counts an RFC 8460 report summarises: successful
/// sessions and failures by result type and MX host (§4.3). Kept in memory per node: lifetime counts
/// for /metrics, and the counts since the last report, which <see cref="TakePeriod"/> hands over and resets.
/// </summary>
public sealed class TlsResults
{
    private readonly ConcurrentDictionary<(string Domain, string Policy, string Result), long> _lifetime = new();
    private readonly ConcurrentDictionary<string, MtaStsPolicy?> _policies = new();
    private readonly Lock _periodLock = new();
    private Dictionary<TlsResultKey, long> _period = [];

    public void Success(string domain, MtaStsPolicy? policy) => Add(domain, policy, "success", null);

    public void Failure(string domain, MtaStsPolicy? policy, string resultType, string? mx = null) => Add(domain, policy, resultType, mx);

    /// <summary>The counts since the last call, and the policy each domain had, for one report period; the period restarts empty.</summary>
    public (IReadOnlyDictionary<TlsResultKey, long> Counts, IReadOnlyDictionary<string, MtaStsPolicy?> Policies) TakePeriod()
    {
        lock (_periodLock)
        {
            var counts = _period;
            _period = [];
            return (counts, _policies.ToDictionary());
        }
    }

    public string Render()
    {
        var text = new StringBuilder();
        text.AppendLine("# HELP emailapi_tls_sessions_total Outbound TLS sessions under MTA-STS policies, by policy domain, mode and RFC 8460 result type.");
        text.AppendLine("# TYPE emailapi_tls_sessions_total counter");
        foreach (var ((domain, policy, result), count) in _lifetime.OrderBy(c => c.Key))
            text.AppendLine($"emailapi_tls_sessions_total{{domain=\"{domain}\",policy=\"{policy}\",result=\"{result}\"}} {count}");
        return text.ToString();
    }

    private void Add(string domain, MtaStsPolicy? policy, string result, string? mx)
    {
        var mode = (policy?.Mode ?? MtaStsMode.None).ToString().ToLowerInvariant();
        _lifetime.AddOrUpdate((domain, mode, result), 1, (_, n) => n + 1);
        lock (_periodLock)
        {
            _policies[domain] = policy;
            var key = new TlsResultKey(domain, result, mx);
            _period[key] = _period.GetValueOrDefault(key) + 1;
        }
    }
}

/// <summary>One line of a report period: a policy domain, a result type (<c>success</c> or an RFC 8460 §4.3 type) and the MX host concerned.</summary>
public readonly record struct TlsResultKey(string Domain, string Result, string? Mx);
