namespace EmailApi.SmtpBridge;

/// <summary>The answer to AUTH (or to a trusted network's implicit login).</summary>
public abstract record AuthOutcome
{
    private AuthOutcome() { }

    public sealed record Authenticated(SmtpPrincipal Principal) : AuthOutcome;

    /// <summary>Unknown, revoked or under-scoped key, or a disabled account: 535 5.7.8, and the client's address is slowed down.</summary>
    public sealed record Refused : AuthOutcome;

    /// <summary>The server cannot check right now (database down): 454 4.7.0, the client retries.</summary>
    public sealed record Unavailable(string Reason) : AuthOutcome;
}
