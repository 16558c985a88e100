namespace EmailApi.SmtpBridge;

/// <summary>The answer to one RCPT; the bridge turns each case into one SMTP reply.</summary>
public abstract record RecipientVerdict
{
    private RecipientVerdict() { }

    public static readonly RecipientVerdict Accept = new Accepted();

    /// <summary>250 2.1.5.</summary>
    public sealed record Accepted : RecipientVerdict;

    /// <summary>Not ours to take: 550 5.7.1 with this reason (RFC 5321 §3.6.2: no open relay).</summary>
    public sealed record Refused(string PublicReason) : RecipientVerdict;

    /// <summary>Cannot tell now (database down): 451 4.3.0, the client retries.</summary>
    public sealed record Unavailable : RecipientVerdict;
}
