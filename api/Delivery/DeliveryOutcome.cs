using EmailApi.Queue;
namespace EmailApi.Delivery;

/// <summary>What one attempt meant for one recipient. Decided once, in <see cref="SmtpRelay"/>.</summary>
public abstract record DeliveryOutcome(SmtpReply Reply, string? Mx)
{
    private DeliveryOutcome() : this(SmtpReply.Local("4.0.0", ""), null) { }

    /// <summary>The receiving server took responsibility (2xx after DATA).</summary>
    public sealed record Delivered(SmtpReply Reply, string Mx, string? Tls) : DeliveryOutcome(Reply, Mx);

    /// <summary>Temporary: try again later (4xx, connection trouble, DNS trouble, anything unknown).</summary>
    public sealed record Deferred(SmtpReply Reply, string? Mx) : DeliveryOutcome(Reply, Mx);

    /// <summary>Permanent refusal by a receiving server (5xx).</summary>
    public sealed record Bounced(SmtpReply Reply, string? Mx) : DeliveryOutcome(Reply, Mx);

    /// <summary>Permanent: the destination cannot be routed at all (NXDOMAIN, null MX).</summary>
    public sealed record Failed(SmtpReply Reply) : DeliveryOutcome(Reply, null);
}
