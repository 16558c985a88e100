using EmailApi.Compat.Resend;
using EmailApi.Messages;
using EmailApi.Queue;

namespace EmailApi.Tests.Compat;

public sealed class ResendLastEventTests
{
    public static TheoryData<RecipientStatus[]> Statuses()
    {
        var data = new TheoryData<RecipientStatus[]>();
        var all = Enum.GetValues<RecipientStatus>();
        foreach (var one in all) data.Add([one]);
        foreach (var one in all) foreach (var other in all) if (one < other) data.Add([one, other]);
        return data;
    }

    /// <summary>Every status a message can roll up to has a Resend word, so GET /emails/{id} never fails on a status added later without one.</summary>
    [Theory]
    [MemberData(nameof(Statuses))]
    public void LastEvent_ForEveryRollUp_IsOneOfResendsEvents(RecipientStatus[] statuses)
    {
        var lastEvent = ResendEndpoints.LastEvent(MessageResponse.RollUp(statuses));

        Assert.Contains(lastEvent, new[] { "queued", "delivery_delayed", "delivered", "bounced", "complained", "failed", "suppressed", "canceled" });
    }
}
