using EmailApi.Queue;

namespace EmailApi.Sending;

/// <summary>The answer to a request that submits several messages at once, or carries an idempotency key.</summary>
public abstract record BatchSubmitted
{
    private BatchSubmitted() { }

    /// <summary>One answer per submission, in order; the accepted ones committed in one transaction.</summary>
    public sealed record Completed(IReadOnlyList<Submitted> Items) : BatchSubmitted;

    /// <summary>The idempotency key was used before with the same request: its original answer, nothing new stored.</summary>
    public sealed record Replayed(StoredResponse Response) : BatchSubmitted;

    /// <summary>The idempotency key was used before with a different request; nothing stored.</summary>
    public sealed record KeyReused : BatchSubmitted;

    /// <summary>Our own trouble (database, shutdown): the client should retry later.</summary>
    public sealed record Unavailable(string PublicReason) : BatchSubmitted;
}
