namespace EmailApi.Delivery.MtaSts;

/// <summary>What a policy file's text amounted to.</summary>
public abstract record MtaStsParse
{
    private MtaStsParse() { }

    public sealed record Valid(MtaStsPolicy Policy) : MtaStsParse;

    /// <summary>Not a usable STSv1 policy: treated as if there were none (RFC 8461 §3.3), and reported as <c>sts-policy-invalid</c>.</summary>
    public sealed record Invalid(string Reason) : MtaStsParse;
}
