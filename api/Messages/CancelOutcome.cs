namespace EmailApi.Messages;

public abstract record CancelOutcome
{
    private CancelOutcome() { }

    /// <summary>The recipients that had not been attempted yet are now cancelled (none when all were already underway or done).</summary>
    public sealed record Cancelled(IReadOnlyList<string> Recipients) : CancelOutcome;

    /// <summary>No such message in this account.</summary>
    public sealed record NotFound : CancelOutcome;
}
