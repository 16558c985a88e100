using EmailApi.SmtpBridge.Protocol;

namespace EmailApi.Tests.Protocol;

public sealed class ReplyRewriterTests
{
    [Theory]
    [InlineData(250, "Ok", "MAIL", "250 2.1.0 Ok")]
    [InlineData(250, "Ok", "RCPT", "250 2.1.5 Ok")]
    [InlineData(250, "Ok", "RSET", "250 2.0.0 Ok")]
    [InlineData(250, "Ok", null, "250 2.0.0 Ok")]
    [InlineData(220, "ready when you are", "STARTTLS", "220 2.0.0 Ready to start TLS")]
    [InlineData(221, "bye", "QUIT", "221 2.0.0 Bye")]
    [InlineData(221, "Timeout while waiting for input.", null, "421 4.4.2 Timeout waiting for a command; closing connection")]
    [InlineData(221, "The session has be cancelled.", null, "421 4.3.2 Service shutting down or session time limit reached; try again later")]
    [InlineData(235, "go ahead", "AUTH", "235 2.7.0 Authentication successful")]
    [InlineData(535, "authentication failed, 2 attempt(s) remaining.", "AUTH", "535 5.7.8 Authentication credentials invalid")]
    [InlineData(501, "expected NOOP/RSET/QUIT/RCPT", null, "503 5.5.1 Bad sequence of commands (expected NOOP/RSET/QUIT/RCPT)")]
    [InlineData(501, "syntax error, 4 retry(ies) remaining.", null, "501 5.5.4 syntax error")]
    [InlineData(502, "Unrecognized command", null, "502 5.5.1 Unrecognized command")]
    [InlineData(552, "size limit exceeded", "MAIL", "552 5.3.4 Message size exceeds fixed maximum message size")]
    [InlineData(553, "mailbox name not allowed", null, "553 5.1.3 mailbox name not allowed")]
    [InlineData(554, "", "DATA", "451 4.3.0 Local error in processing; try again later")]
    [InlineData(530, "5.7.0 Authentication required, 4 retry(ies) remaining.", "MAIL", "530 5.7.0 Authentication required")]
    [InlineData(450, "busy", null, "450 4.0.0 busy")]
    [InlineData(599, "odd", null, "599 5.0.0 odd")]
    public void Rewrite_PackageReply_CarriesEnhancedCode(int code, string text, string? command, string expected) =>
        Assert.Equal(expected, ReplyRewriter.Rewrite(code, text, command));
}
