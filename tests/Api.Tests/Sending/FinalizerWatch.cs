using System.Diagnostics.Tracing;
using System.Runtime.CompilerServices;

namespace EmailApi.Tests.Sending;

/// <summary>
/// Counts objects of the given types that reach the finalizer, from the runtime's own GC events
/// (<c>FinalizeObject</c>, whose type id is the type's handle). An undisposed MimeKit message is one:
/// it, and everything it holds, survives one more garbage collection. The runtime delivers these
/// events a little later, in order; a finalized <see cref="Sentinel"/> marks how far they have come.
/// </summary>
internal sealed class FinalizerWatch : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private static readonly nint SentinelType = typeof(Sentinel).TypeHandle.Value;
    private readonly HashSet<nint>? _watched;   // null while the base constructor already delivers events
    private int _finalized;
    private int _sentinels;

    public FinalizerWatch(params Type[] types)
    {
        _watched = types.Select(t => t.TypeHandle.Value).ToHashSet();
        // Whatever earlier code left for the finalizer is counted before the watch starts.
        Drain();
        Interlocked.Exchange(ref _finalized, 0);
    }

    /// <summary>How many watched objects were finalized since the watch started, once everything dead so far is finalized.</summary>
    public int Finalized()
    {
        Drain();
        return Volatile.Read(ref _finalized);
    }

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, GcKeyword);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName != "FinalizeObject" || e.Payload is null || e.PayloadNames is null) return;
        var index = e.PayloadNames.IndexOf("TypeID");
        if (index < 0) return;
        nint type = e.Payload[index] switch
        {
            nint p => p,
            ulong u => (nint)u,
            long l => (nint)l,
            _ => 0,
        };
        if (type == SentinelType) Interlocked.Increment(ref _sentinels);
        else if (_watched?.Contains(type) == true) Interlocked.Increment(ref _finalized);
    }

    private void Drain()
    {
        var seen = Volatile.Read(ref _sentinels);
        DropSentinel();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (Volatile.Read(ref _sentinels) == seen)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The runtime's FinalizeObject events did not arrive.");
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Thread.Sleep(20);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void DropSentinel() => _ = new Sentinel();

    private sealed class Sentinel
    {
        ~Sentinel()
        {
        }
    }
}
