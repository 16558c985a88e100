namespace EmailApi.Delivery;

/// <summary>
/// The sender loop's pulse, for readiness: when it last went round (it does at least once a poll
/// interval, busy or idle) and when it last asked the queue for work. A loop that died or hangs
/// stops both; one that is alive but never leases while mail waits stops the second.
/// </summary>
public sealed class SenderHeartbeat(TimeProvider clock)
{
    private long _loopAt = clock.GetUtcNow().ToUnixTimeMilliseconds();
    private long _leaseAt = clock.GetUtcNow().ToUnixTimeMilliseconds();
    private long _leases;

    public DateTimeOffset LastLoop => DateTimeOffset.FromUnixTimeMilliseconds(Interlocked.Read(ref _loopAt));
    public DateTimeOffset LastLease => DateTimeOffset.FromUnixTimeMilliseconds(Interlocked.Read(ref _leaseAt));

    /// <summary>How often the loop has asked the queue for work: one more means everything due by then was seen.</summary>
    public long Leases => Interlocked.Read(ref _leases);

    public void Beat() => Interlocked.Exchange(ref _loopAt, clock.GetUtcNow().ToUnixTimeMilliseconds());

    public void Leased()
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        Interlocked.Exchange(ref _leaseAt, now);
        Interlocked.Exchange(ref _loopAt, now);
        Interlocked.Increment(ref _leases);
    }
}
