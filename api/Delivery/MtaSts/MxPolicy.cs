using EmailApi.Queue;
using System.Collections.Concurrent;
using System.Net.Security;

namespace EmailApi.Delivery.MtaSts;

/// <summary>
/// The MTA-STS policy as the relay applies it to one delivery, at its connect step only (like
/// maddy's MXAuthPolicy): <see cref="CheckMx"/> before dialling, <see cref="ValidateCertificate"/>
/// during the TLS handshake and <see cref="CheckConn"/> once connected. Under <c>enforce</c>
/// (RFC 8461 §5) only MX hosts matching the policy are dialled, only over STARTTLS with a certificate
/// valid for the MX name, and any failure defers the recipients with a 4.7.5 reply naming the policy;
/// under <c>testing</c> the same checks are made and counted but delivery goes on as without a policy.
/// </summary>
internal sealed class MxPolicy
{
    private readonly ConcurrentDictionary<string, string> _certificateFailures = new(StringComparer.OrdinalIgnoreCase);
    private readonly string _domain;
    private readonly MtaStsPolicy? _policy;
    private readonly CertificateCheck _certificates;
    private readonly TlsResults _results;

    public MxPolicy(string domain, MtaStsLookup lookup, CertificateCheck certificates, TlsResults results)
    {
        _domain = domain.ToLowerInvariant();
        _policy = lookup is MtaStsLookup.Found found ? found.Policy : null;
        _certificates = certificates;
        _results = results;
        if (lookup is MtaStsLookup.Unavailable unavailable) results.Failure(_domain, null, unavailable.ResultType);
    }

    public MtaStsMode Mode => _policy?.Mode ?? MtaStsMode.None;

    /// <summary>How the policy is shown in the attempt's record: <c>MTA-STS enforce (id ...)</c>, or null without one.</summary>
    public string? Label => Mode == MtaStsMode.None ? null : $"MTA-STS {Mode.ToString().ToLowerInvariant()} (id {_policy!.Id})";

    /// <summary>The hosts that may be dialled, or a refusal when under <c>enforce</c> none matches the policy.</summary>
    public (IReadOnlyList<MxHost> Hosts, SmtpReply? Refusal) CheckMx(IReadOnlyList<MxHost> hosts)
    {
        if (_policy is null || Mode == MtaStsMode.None) return (hosts, null);
        var matching = hosts.Where(h => _policy.Matches(h.Name)).ToArray();
        if (matching.Length == hosts.Count) return (hosts, null);
        foreach (var host in hosts.Where(h => !_policy.Matches(h.Name))) _results.Failure(_domain, _policy, "validation-failure", host.Name);
        if (Mode == MtaStsMode.Testing) return (hosts, null);
        return matching.Length > 0
            ? (matching, null)
            : (matching, SmtpReply.Local("4.7.5", $"No MX host of {_domain} matches its {Label} (mx: {string.Join(", ", _policy.Mx)}; RFC 8461 section 4.1)"));
    }

    /// <summary>
    /// The certificate callback for a connection to <paramref name="host"/>: records what is wrong with
    /// the certificate, and refuses it only under <c>enforce</c> (otherwise TLS stays opportunistic).
    /// </summary>
    public RemoteCertificateValidationCallback ValidateCertificate(MxHost host) => Mode == MtaStsMode.None ? (_, _, _, _) => true : (_, certificate, chain, errors) =>
    {
        if (_certificates.Failure(certificate, chain, errors) is not { } failure) return true;
        _certificateFailures[host.Name] = failure;
        return Mode != MtaStsMode.Enforce;
    };

    /// <summary>After connecting: a refusal when the connection does not satisfy an <c>enforce</c> policy; counts the session either way.</summary>
    public SmtpReply? CheckConn(SmtpConnection connection)
    {
        if (Mode == MtaStsMode.None) return null;
        var host = connection.Host.Name;
        var failure = !connection.Client.IsSecure ? "starttls-not-supported" : _certificateFailures.GetValueOrDefault(host);
        if (failure is null)
        {
            connection.PolicyVerified = true;
            _results.Success(_domain, _policy);
            return null;
        }
        _results.Failure(_domain, _policy, failure, host);
        return Mode == MtaStsMode.Enforce ? Refusal(host, failure) : null;
    }

    /// <summary>The reply for a connection that failed under <c>enforce</c> because of the policy, or null when the failure was something else.</summary>
    public SmtpReply? ConnectFailed(MxHost host, bool startTlsMissing)
    {
        if (Mode != MtaStsMode.Enforce) return null;
        var failure = startTlsMissing ? "starttls-not-supported" : _certificateFailures.GetValueOrDefault(host.Name);
        if (failure is null) return null;
        _results.Failure(_domain, _policy, failure, host.Name);
        return Refusal(host.Name, failure);
    }

    private SmtpReply Refusal(string host, string failure) =>
        SmtpReply.Local("4.7.5", $"{host} does not meet the {Label} of {_domain}: {failure} (TLS with a certificate valid for the MX name is required; RFC 8461 section 4.2)");
}
