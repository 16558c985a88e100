using EmailApi.Tests.TestSupport;

namespace EmailApi.Tests.Messages;

/// <summary>
/// SMTP smuggling (CVE-2023-51764 and kin): a body with a dot line ended by a bare LF or CR must not
/// end the message, must not let the commands behind it run, and must not be queued for a lenient
/// next hop. The bridge refuses the whole message with 550 5.6.0.
/// </summary>
public sealed class SmugglingTests
{
    private const string Smuggled = "MAIL FROM:<ceo@victim.example>\r\nRCPT TO:<target@example.org>\r\nDATA\r\nFrom: ceo@victim.example\r\nSubject: smuggled\r\n\r\npay now\r\n";

    [Theory]
    [InlineData("\n.\r\n")]
    [InlineData("\r\n.\n")]
    [InlineData("\n.\n")]
    [InlineData("\r.\r\n")]
    [InlineData("\r\n.\r")]
    [InlineData("\r.\r")]
    public async Task Data_WithBareLineEndingDot_IsRefusedWholeAndNothingRuns(string fakeEnd)
    {
        await using var server = await BridgeServer.StartAsync();
        await using var raw = await server.LoggedInAsync();
        await raw.StartMessageAsync();

        await raw.SendAsync("From: a@example.com\r\nSubject: innocent\r\n\r\nhello" + fakeEnd + Smuggled + ".\r\n");
        var reply = await raw.ReadReplyAsync();
        var next = await raw.CommandAsync("NOOP");

        Assert.Equal("550 5.6.0 Message contains a bare CR or LF; lines must end with CRLF (RFC 5321 section 2.3.8)", reply);
        Assert.Equal("250 2.0.0 Ok", next);   // no reply was left over from a smuggled command
        Assert.Empty(server.Port.Submitted);
    }

    [Fact]
    public async Task Data_WithBareLfInBody_IsRefused()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var raw = await server.LoggedInAsync();
        await raw.StartMessageAsync();

        Assert.StartsWith("550 5.6.0", await raw.CommandAsync("Subject: lf\r\n\r\nline one\nline two\r\n."));
    }

    [Fact]
    public async Task Data_WithDotStuffedLines_IsUnstuffedAndQueued()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var raw = await server.LoggedInAsync();
        await raw.StartMessageAsync();

        Assert.StartsWith("250 2.0.0", await raw.CommandAsync("Subject: dots\r\n\r\n..\r\n...leading dots\r\n."));

        var text = System.Text.Encoding.ASCII.GetString(Assert.Single(server.Port.Submitted).Message);
        Assert.EndsWith("\r\n\r\n.\r\n..leading dots\r\n", text);
    }

    [Fact]
    public async Task Data_JustADot_IsRefusedAsEmptyAndSessionGoesOn()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var raw = await server.LoggedInAsync();
        await raw.StartMessageAsync();

        Assert.Equal("554 5.6.0 Message is empty", await raw.CommandAsync("."));
        Assert.Equal("250 2.0.0 Ok", await raw.CommandAsync("NOOP"));
    }
}
