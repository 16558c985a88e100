using EmailApi.Queue;
using System.Net;

namespace EmailApi.Delivery;

/// <summary>Where mail for a domain goes, as DNS says (RFC 5321 §5.1, RFC 7505).</summary>
public abstract record MxRoute
{
    private MxRoute() { }

    /// <summary>Hosts in the order to try them, each with its addresses.</summary>
    public sealed record Hosts(IReadOnlyList<MxHost> List) : MxRoute;

    /// <summary>The domain does not take mail: NXDOMAIN or a null MX. Fail at once.</summary>
    public sealed record NoMail(SmtpReply Reason) : MxRoute;

    /// <summary>DNS could not answer now (SERVFAIL, timeout). Defer.</summary>
    public sealed record TryLater(SmtpReply Reason) : MxRoute;
}

public sealed record MxHost(string Name, int Preference, IReadOnlyList<IPAddress> Addresses);
