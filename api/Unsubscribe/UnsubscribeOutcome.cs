namespace EmailApi.Unsubscribe;

/// <summary>What an unsubscribe request did.</summary>
public abstract record UnsubscribeOutcome
{
    private UnsubscribeOutcome() { }

    /// <summary>The address is now on the account's suppression list and an <c>unsubscribed</c> event was logged.</summary>
    public sealed record Unsubscribed(string MaskedAddress) : UnsubscribeOutcome;

    /// <summary>It was suppressed already (a repeated click, or a bounce before): nothing changed, no second event.</summary>
    public sealed record AlreadySuppressed(string MaskedAddress) : UnsubscribeOutcome;

    /// <summary>No such token: forged, altered, or its message is gone (retention).</summary>
    public sealed record NotFound : UnsubscribeOutcome;
}
