using System.Net;
using EmailApi.SmtpBridge.Protocol;

namespace EmailApi.Tests.Protocol;

/// <summary>
/// The package's own replies, known by code and session state only: the texts in these rows are
/// what SmtpServer 11 writes, and changing them must not change the reply (the last column).
/// </summary>
public sealed class ReplyRewriterTests
{
    [Theory]
    [InlineData(250, "Ok", "MAIL", null, "250 2.1.0 Ok")]
    [InlineData(250, "Ok", "RCPT", null, "250 2.1.5 Ok")]
    [InlineData(250, "Ok", "RSET", null, "250 2.0.0 Ok")]
    [InlineData(220, "ready when you are", "STARTTLS", null, "220 2.0.0 Ready to start TLS")]
    [InlineData(221, "bye", "QUIT", null, "221 2.0.0 Bye")]
    [InlineData(221, "Timeout while waiting for input.", null, null, "421 4.4.2 Timeout waiting for a command; closing connection")]
    [InlineData(221, "any other wording", null, null, "421 4.4.2 Timeout waiting for a command; closing connection")]
    [InlineData(235, "go ahead", "AUTH", null, "235 2.7.0 Authentication successful")]
    [InlineData(535, "authentication failed, 2 attempt(s) remaining.", "AUTH", null, "535 5.7.8 Authentication credentials invalid")]
    [InlineData(501, "expected NOOP/RSET/QUIT/RCPT", null, "RCPT", "503 5.5.1 Bad sequence of commands: send MAIL first")]
    [InlineData(501, "whatever the state table says", null, "DATA", "503 5.5.1 Bad sequence of commands: send MAIL and RCPT first")]
    [InlineData(501, "syntax error, 4 retry(ies) remaining.", "AUTH", "AUTH", "501 5.5.4 Syntax error in parameters or arguments")]
    [InlineData(500, "Command unrecognized", null, "XYZZY", "500 5.5.2 Command unrecognized")]
    [InlineData(502, "Unrecognized command", null, "VRFY", "502 5.5.1 Command not implemented")]
    [InlineData(552, "size limit exceeded", "MAIL", "MAIL", "552 5.3.4 Message size exceeds fixed maximum message size")]
    [InlineData(553, "mailbox name not allowed", "RCPT", "RCPT", "553 5.1.3 Mailbox name not allowed")]
    [InlineData(554, "", "DATA", "DATA", "451 4.3.0 Local error in processing; try again later")]
    [InlineData(530, "authentication required, 4 retry(ies) remaining.", "MAIL", "MAIL", "530 5.7.0 Authentication required")]
    [InlineData(450, "busy", "MAIL", "MAIL", "450 4.0.0 busy")]
    [InlineData(599, "odd", "MAIL", "MAIL", "599 5.0.0 odd")]
    public void Rewrite_PackageReply_IsKnownByCodeAndState(int code, string text, string? command, string? lineVerb, string expected)
    {
        var session = new BridgeSession(new IPEndPoint(IPAddress.Loopback, 1), false, false)
        {
            HeloName = "client.test",
            Recipients = 1,
            CurrentCommand = command,
            LineVerb = lineVerb,
        };

        Assert.Equal(expected, ReplyRewriter.Rewrite(code, text, session, TimeSpan.FromMinutes(5)).ToLine());
    }

    [Fact]
    public void Rewrite_SessionClosedByTheServerStopping_Says421ShuttingDown()
    {
        using var stopping = new CancellationTokenSource();
        var session = new BridgeSession(new IPEndPoint(IPAddress.Loopback, 1), false, false, stopping.Token);
        stopping.Cancel();

        Assert.Equal("421 4.3.2 Service shutting down or session time limit reached; try again later",
            ReplyRewriter.Rewrite(221, "The session has be cancelled.", session, TimeSpan.FromMinutes(5)).ToLine());
    }

    [Fact]
    public void Rewrite_SessionPastItsTimeLimit_Says421ShuttingDown()
    {
        var session = new BridgeSession(new IPEndPoint(IPAddress.Loopback, 1), false, false);

        Assert.Equal("421 4.3.2 Service shutting down or session time limit reached; try again later",
            ReplyRewriter.Rewrite(221, "The session has be cancelled.", session, TimeSpan.Zero).ToLine());
    }

    [Theory]
    [InlineData(null, "MAIL", 0, "send HELO or EHLO first")]
    [InlineData("client.test", "MAIL", 0, "a transaction is already open; send RSET first")]
    [InlineData("client.test", "AUTH", 0, "AUTH is allowed once per session, outside a transaction")]
    [InlineData("client.test", "DATA", 0, "send MAIL and RCPT first")]
    public void Rewrite_StateTableRefusal_SaysWhatComesFirst(string? helo, string verb, int recipients, string hint)
    {
        var session = new BridgeSession(new IPEndPoint(IPAddress.Loopback, 1), false, false) { HeloName = helo, LineVerb = verb, Recipients = recipients };

        Assert.Equal($"503 5.5.1 Bad sequence of commands: {hint}", ReplyRewriter.Rewrite(501, "expected something", session, TimeSpan.FromMinutes(5)).ToLine());
    }
}
