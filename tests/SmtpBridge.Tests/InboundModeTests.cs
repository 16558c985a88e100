using EmailApi.SmtpBridge;
using EmailApi.Tests.TestSupport;

namespace EmailApi.Tests;

/// <summary>
/// The adapter as an inbound (MX) listener: no AUTH offered, MAIL from anyone, and only the
/// recipients the port accepts; everything else 550 5.7.1 (never an open relay).
/// </summary>
public sealed class InboundModeTests
{
    private static Task<BridgeServer> StartInboundAsync() => BridgeServer.StartAsync(o =>
    {
        o.Inbound = true;
        o.TrustedNetworks = ["0.0.0.0/0", "::/0"];
        o.TrustedAccount = FakeSubmissionPort.TrustedAccountName;
        o.ImplicitTlsPort = -1;
    });

    [Fact]
    public async Task Ehlo_InboundListener_OffersStartTlsButNoAuth()
    {
        await using var server = await StartInboundAsync();
        await using var raw = await server.ConnectRawAsync();
        await raw.ReadReplyAsync();

        var ehlo = await raw.CommandAsync("EHLO mta.example");

        Assert.Contains("STARTTLS", ehlo);
        Assert.DoesNotContain("AUTH", ehlo);
    }

    [Fact]
    public async Task Rcpt_AddressThePortRefuses_Is550_5_7_1_EveryTime_AndNothingIsSubmitted()
    {
        await using var server = await StartInboundAsync();
        server.Port.RecipientCheck = a => a.StartsWith("b+", StringComparison.Ordinal)
            ? RecipientVerdict.Accept
            : new RecipientVerdict.Refused("Relay access denied");
        await using var raw = await server.ConnectRawAsync();
        await raw.ReadReplyAsync();
        await raw.CommandAsync("EHLO mta.example");
        Assert.StartsWith("250", await raw.CommandAsync("MAIL FROM:<>"));

        var replies = new List<string>();
        for (var i = 0; i < 15; i++)
            replies.Add(await raw.CommandAsync($"RCPT TO:<victim{i}@elsewhere.example>"));

        Assert.All(replies, r => Assert.Equal("550 5.7.1 Relay access denied", r));
        Assert.Matches("^5(03|54) ", await raw.CommandAsync("DATA"));   // no valid recipients: RFC 5321 §3.3
        Assert.Empty(server.Port.Submitted);
    }

    [Fact]
    public async Task Rcpt_AddressThePortAccepts_MessageSubmittedWithoutAuth()
    {
        await using var server = await StartInboundAsync();
        server.Port.RecipientCheck = a => a.StartsWith("b+", StringComparison.Ordinal) ? RecipientVerdict.Accept : new RecipientVerdict.Refused("no");
        await using var raw = await server.ConnectRawAsync();
        await raw.ReadReplyAsync();
        await raw.CommandAsync("EHLO mta.example");
        await raw.CommandAsync("MAIL FROM:<>");

        Assert.StartsWith("250", await raw.CommandAsync("RCPT TO:<b+token@bounces.shop.test>"));
        Assert.StartsWith("354", await raw.CommandAsync("DATA"));
        Assert.StartsWith("250 2.0.0", await raw.CommandAsync("From: MAILER-DAEMON@mta.example\r\nSubject: bounce\r\n\r\n550 5.1.1 gone\r\n."));

        var envelope = Assert.Single(server.Port.Submitted);
        Assert.Equal(["b+token@bounces.shop.test"], envelope.Recipients);
        Assert.Equal("", envelope.MailFrom);
    }

    [Fact]
    public async Task Rcpt_PortThrows_Is451_4_3_0()
    {
        await using var server = await StartInboundAsync();
        server.Port.RecipientCheck = _ => throw new IOException("database away");
        await using var raw = await server.ConnectRawAsync();
        await raw.ReadReplyAsync();
        await raw.CommandAsync("EHLO mta.example");
        await raw.CommandAsync("MAIL FROM:<>");

        Assert.Equal("451 4.3.0 Local error in processing; try again later", await raw.CommandAsync("RCPT TO:<b+x@bounces.shop.test>"));
    }
}
