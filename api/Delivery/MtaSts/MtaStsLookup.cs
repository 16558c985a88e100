namespace EmailApi.Delivery.MtaSts;

/// <summary>What is known of a destination domain's MTA-STS policy at delivery time.</summary>
public abstract record MtaStsLookup
{
    private MtaStsLookup() { }

    /// <summary>The domain publishes no <c>_mta-sts</c> TXT record, and nothing is cached.</summary>
    public sealed record NoPolicy : MtaStsLookup;

    public sealed record Found(MtaStsPolicy Policy) : MtaStsLookup;

    /// <summary>
    /// A TXT record but no usable policy and none cached: RFC 8461 §5 says deliver as though the
    /// domain had no policy. <paramref name="ResultType"/> is the RFC 8460 §4.3.2 result type to report.
    /// </summary>
    public sealed record Unavailable(string ResultType, string Reason) : MtaStsLookup;
}
