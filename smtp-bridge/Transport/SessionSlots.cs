namespace EmailApi.SmtpBridge.Transport;

/// <summary>The session limit shared by both listeners (the package has none of its own).</summary>
internal sealed class SessionSlots(int capacity)
{
    private int _used;

    public int InUse => Volatile.Read(ref _used);

    public bool TryTake()
    {
        if (Interlocked.Increment(ref _used) <= capacity) return true;
        Interlocked.Decrement(ref _used);
        return false;
    }

    public void Release() => Interlocked.Decrement(ref _used);
}
