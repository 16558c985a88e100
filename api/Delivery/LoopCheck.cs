using EmailApi.Queue;
namespace EmailApi.Delivery;

/// <summary>What <see cref="LoopGuard"/> allows: the hosts that may be dialled, or a permanent refusal.</summary>
public abstract record LoopCheck
{
    private LoopCheck() { }

    public sealed record Dial(IReadOnlyList<MxHost> Hosts) : LoopCheck;

    public sealed record Refuse(SmtpReply Reply) : LoopCheck;
}
