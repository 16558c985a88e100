namespace EmailApi.Feedback;

/// <summary>How a reported recipient is treated; only <see cref="Hard"/> suppresses at once.</summary>
public enum BounceKind
{
    /// <summary>The address does not exist or is disabled (X.1.x, X.2.1, X.4.4): suppress.</summary>
    Hard,

    /// <summary>May work later (mailbox full X.2.2, system or network trouble, unknown 5.x.x): suppress only after repeats.</summary>
    Soft,

    /// <summary>The receiver refused the sender, not the address (X.7.x): recorded, the address is fine.</summary>
    Policy,

    /// <summary>RFC 3464 <c>Action: delayed</c>: still being tried; recorded only.</summary>
    Delayed,

    /// <summary><c>delivered</c>, <c>relayed</c> or <c>expanded</c>: a success notice; recorded only.</summary>
    Informational,
}
