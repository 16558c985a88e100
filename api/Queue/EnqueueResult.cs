namespace EmailApi.Queue;

/// <summary>What the enqueue transaction did with one message.</summary>
public abstract record EnqueueResult
{
    private EnqueueResult() { }

    /// <summary>Committed with its recipients; its recipients were counted against the account's windows.</summary>
    public sealed record Stored : EnqueueResult;

    /// <summary>Not stored: counting its recipients would exceed <paramref name="Limit"/> in the window ending at <paramref name="ResetsAt"/>.</summary>
    public sealed record LimitReached(LimitPeriod Period, long Limit, long Used, DateTimeOffset ResetsAt) : EnqueueResult;
}
