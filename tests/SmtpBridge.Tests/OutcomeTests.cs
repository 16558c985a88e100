using EmailApi.SmtpBridge;
using EmailApi.Tests.TestSupport;

namespace EmailApi.Tests;

/// <summary>What the client hears for each answer of the submission port: never a 5xx for the server's own trouble.</summary>
public sealed class OutcomeTests
{
    public static TheoryData<SubmitOutcome, string> Outcomes => new()
    {
        { new SubmitOutcome.Unavailable("The queue is unavailable; try again later."), "451 4.3.0 The queue is unavailable; try again later." },
        { new SubmitOutcome.QuotaExceeded("Monthly quota of 1000 recipients reached."), "451 4.7.1 Monthly quota of 1000 recipients reached." },
        { new SubmitOutcome.RateLimited("Rate per_minute exceeded."), "451 4.7.0 Rate per_minute exceeded." },
        { new SubmitOutcome.Rejected(RejectReason.TooLarge, "Too big."), "552 5.3.4 Too big." },
        { new SubmitOutcome.Rejected(RejectReason.TooManyRecipients, "Too many."), "554 5.5.3 Too many." },
        { new SubmitOutcome.Rejected(RejectReason.Policy, "Sender domain not allowed.\r\n250 fake"), "550 5.7.1 Sender domain not allowed.  250 fake" },
    };

    [Theory]
    [MemberData(nameof(Outcomes))]
    public async Task EndOfData_PortOutcome_MapsToReply(SubmitOutcome outcome, string expected)
    {
        await using var server = await BridgeServer.StartAsync();
        server.Port.Outcome = _ => outcome;
        await using var raw = await server.LoggedInAsync();
        await raw.StartMessageAsync();

        Assert.Equal(expected, await raw.CommandAsync("Subject: x\r\n\r\ny\r\n."));
    }

    [Fact]
    public async Task EndOfData_PortThrows_Answers451_4_3_0AndSessionGoesOn()
    {
        await using var server = await BridgeServer.StartAsync();
        server.Port.Outcome = _ => throw new IOException("disk full");
        await using var raw = await server.LoggedInAsync();
        await raw.StartMessageAsync();

        Assert.Equal("451 4.3.0 Local error in processing; try again later", await raw.CommandAsync("Subject: x\r\n\r\ny\r\n."));
        Assert.Equal("250 2.0.0 Ok", await raw.CommandAsync("RSET"));
    }
}
