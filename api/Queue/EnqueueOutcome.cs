namespace EmailApi.Queue;

/// <summary>What became of one <see cref="EnqueueRequest"/>.</summary>
public abstract record EnqueueOutcome
{
    private EnqueueOutcome() { }

    /// <summary>One result per message, in order.</summary>
    public sealed record Done(IReadOnlyList<EnqueueResult> Results) : EnqueueOutcome;

    /// <summary>The idempotency key was already used (within its lifetime); nothing was stored.</summary>
    public sealed record Duplicate(byte[] RequestHash, StoredResponse Response) : EnqueueOutcome;
}
