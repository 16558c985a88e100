namespace EmailApi.Delivery.MtaSts;

/// <summary>The <c>mode</c> of an MTA-STS policy (RFC 8461 §3.2).</summary>
public enum MtaStsMode
{
    /// <summary>No policy applies: delivery as without MTA-STS (also the policy mode <c>none</c>).</summary>
    None,

    /// <summary>Failures are recorded and reported, but mail is delivered as without a policy.</summary>
    Testing,

    /// <summary>Only matching MX hosts, only over STARTTLS with a certificate valid for the MX name.</summary>
    Enforce,
}
