using System.Diagnostics;
using System.Text;
using EmailApi.SmtpBridge.Messages;
using EmailApi.Tests.TestSupport;

namespace EmailApi.Tests.Messages;

/// <summary>
/// Issue #15, point 2 (SMTP side) and point 13: one huge folded header must be refused before it
/// costs anything (552 5.3.4, like Postfix's header_size_limit), and a message without From gets
/// one from the envelope sender (RFC 6409 §8.6) or, with a null sender, is refused.
/// </summary>
public sealed class HeaderLimitTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(10);   // generous for a loaded 2-core machine

    [Fact]
    public async Task Data_OneHugeFoldedHeader_Answers552_5_3_4FastAndSessionGoesOn()
    {
        await using var server = await BridgeServer.StartAsync(o => o.MaxMessageBytes = 8 * 1024 * 1024);
        await using var raw = await server.LoggedInAsync();
        await raw.StartMessageAsync();
        // 2 MB of one References header folded over 40,000 lines: minutes of MimeKit folding before.
        var folded = new StringBuilder("From: a@example.com\r\nReferences: <first@example.com>");
        while (folded.Length < 2 * 1024 * 1024) folded.Append("\r\n <0123456789abcdef0123456789@example.com>");

        var clock = Stopwatch.StartNew();
        await raw.SendAsync(folded + "\r\nSubject: x\r\n\r\nbody\r\n");
        var reply = await raw.CommandAsync(".");
        clock.Stop();

        Assert.Equal("552 5.3.4 Message header too long: at most 102400 bytes in all and 8192 per field", reply);
        Assert.True(clock.Elapsed < Budget, $"took {clock.Elapsed}");
        Assert.Empty(server.Port.Submitted);
        await raw.StartMessageAsync();
        Assert.StartsWith("250 2.0.0", await raw.CommandAsync("From: a@example.com\r\nSubject: small\r\n\r\nfits\r\n."));
    }

    [Fact]
    public async Task Data_HeaderBlockOverLimitInShortFields_Answers552_5_3_4()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var raw = await server.LoggedInAsync();
        await raw.StartMessageAsync();
        var block = new StringBuilder("From: a@example.com\r\n");
        for (var i = 0; block.Length <= HeaderBlock.MaxBlockBytes; i++) block.Append($"X-Filler-{i}: {new string('f', 90)}\r\n");

        Assert.StartsWith("552 5.3.4", await raw.CommandAsync(block + "\r\nbody\r\n."));
        Assert.Empty(server.Port.Submitted);
    }

    [Fact]
    public async Task Data_FieldAtLimit_IsQueued()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var raw = await server.LoggedInAsync();
        await raw.StartMessageAsync();
        var prefix = "X-Long: ";
        var field = prefix + new string('v', HeaderBlock.MaxFieldBytes - prefix.Length);

        Assert.StartsWith("250 2.0.0", await raw.CommandAsync($"From: a@example.com\r\n{field}\r\n\r\nbody\r\n."));
    }

    [Fact]
    public async Task Data_NulInBody_Answers554_5_6_0()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var raw = await server.LoggedInAsync();
        await raw.StartMessageAsync();

        Assert.Equal("554 5.6.0 Message contains NUL characters", await raw.CommandAsync("From: a@example.com\r\n\r\nbefore\0after\r\n."));
        Assert.Empty(server.Port.Submitted);
    }

    [Fact]
    public async Task Data_HeaderLineWithoutColon_Answers554_5_6_0()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var raw = await server.LoggedInAsync();
        await raw.StartMessageAsync();

        Assert.Equal("554 5.6.0 Message headers cannot be parsed", await raw.CommandAsync("From: a@example.com\r\nno colon here\r\n\r\nbody\r\n."));
    }

    [Fact]
    public async Task Data_WithoutFrom_GetsFromTheEnvelopeSender()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var raw = await server.LoggedInAsync();
        await raw.StartMessageAsync();

        Assert.StartsWith("250 2.0.0", await raw.CommandAsync("Subject: cron output\r\n\r\ndone\r\n."));

        var envelope = Assert.Single(server.Port.Submitted);
        var text = Encoding.ASCII.GetString(envelope.Message);
        Assert.Contains("\r\nFrom: <a@example.com>\r\n", text);
        Assert.Equal("a@example.com", envelope.HeaderFrom);
        Assert.Single(MimeKit.MimeMessage.Load(new MemoryStream(envelope.Message)).From.Mailboxes, m => m.Address == "a@example.com");
    }

    [Fact]
    public async Task Data_WithBlankFrom_GetsFromTheEnvelopeSenderInItsPlace()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var raw = await server.LoggedInAsync();
        await raw.StartMessageAsync();

        Assert.StartsWith("250 2.0.0", await raw.CommandAsync("From:\r\nSubject: blank\r\n\r\nbody\r\n."));

        var text = Encoding.ASCII.GetString(Assert.Single(server.Port.Submitted).Message);
        Assert.Equal(["From: <a@example.com>"], text.Split("\r\n").Where(l => l.StartsWith("From:", StringComparison.OrdinalIgnoreCase)));
        Assert.EndsWith("\r\nSubject: blank\r\n\r\nbody\r\n", text);
    }

    [Fact]
    public async Task Data_WithoutFromAndNullSender_Answers554_5_6_0()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var raw = await server.LoggedInAsync();
        Assert.StartsWith("250", await raw.CommandAsync("MAIL FROM:<>"));
        Assert.StartsWith("250", await raw.CommandAsync("RCPT TO:<x@example.org>"));
        Assert.StartsWith("354", await raw.CommandAsync("DATA"));

        Assert.Equal("554 5.6.0 Message has no From header and the sender is null (RFC 5322 section 3.6)",
            await raw.CommandAsync("Subject: nobody\r\n\r\nbody\r\n."));
        Assert.Empty(server.Port.Submitted);
    }

    [Fact]
    public async Task Data_WithFrom_KeepsItAndAddsNone()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var raw = await server.LoggedInAsync();
        await raw.StartMessageAsync();

        Assert.StartsWith("250 2.0.0", await raw.CommandAsync("From: Someone <someone@example.com>\r\n\r\nbody\r\n."));

        var text = Encoding.ASCII.GetString(Assert.Single(server.Port.Submitted).Message);
        Assert.Single(text.Split("\r\n"), l => l.StartsWith("From:", StringComparison.OrdinalIgnoreCase));
    }
}
