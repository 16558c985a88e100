namespace EmailApi.SmtpBridge.Protocol;

/// <summary>
/// Words every reply the SmtpServer package writes by itself as this bridge's own, with an RFC 3463
/// enhanced status code (RFC 2034 §3: all replies except the greeting and the answer to
/// HELO/EHLO, which the caller leaves alone). The package's text is never read: a reply is known
/// by its code and by what the session knows when it is written (the command executing, if any;
/// whether the package's state table refused the line before any command ran; whether the
/// server is stopping), so a new wording in the package cannot change what a client sees.
/// This bridge's own replies never come here: they reach the writer as values
/// (<see cref="BridgeSession.PendingReply"/>).
/// </summary>
internal static class ReplyRewriter
{
    public static SmtpReply Rewrite(int code, string text, BridgeSession session, TimeSpan sessionTimeout)
    {
        var command = session.CurrentCommand;
        return code switch
        {
            220 when command == "STARTTLS" => SmtpReply.ReadyForTls,
            221 when command == "QUIT" => SmtpReply.Bye,
            // Not the answer to QUIT: the package ends the session itself when it is cancelled
            // (shutdown, Smtp:SessionTimeout), after a command it allows only so often (AUTH), or
            // when its wait for the next command runs out. RFC 5321 §3.8 says 421 for the first and last.
            221 or 421 when session.IsEnding(sessionTimeout) => SmtpReply.ShuttingDown,
            221 when command is not null => SmtpReply.Bye,
            221 or 421 => SmtpReply.CommandTimeout,
            235 => SmtpReply.AuthSucceeded,
            250 => new SmtpReply(250, command switch { "MAIL" => "2.1.0", "RCPT" => "2.1.5", _ => "2.0.0" }, text),
            // With no command executing, the package refused the line itself: an unknown verb (500),
            // one it does not implement (502), or one its state table does not allow now (501).
            500 when command is null => SmtpReply.Unrecognized,
            502 when command is null => SmtpReply.NotImplemented,
            501 or 503 when command is null => SmtpReply.BadSequence(Expected(session)),
            501 => SmtpReply.BadArguments,
            503 => SmtpReply.BadSequence(Expected(session)),
            504 => SmtpReply.UnknownMechanism,
            530 => SmtpReply.AuthenticationRequired,
            535 => SmtpReply.AuthFailed,
            552 => SmtpReply.MessageTooLarge,
            553 => SmtpReply.MailboxNameNotAllowed,
            // At DATA the package answers 554 itself only for a transaction without recipients, or
            // as its catch-all when the message store failed: our own trouble, so 451 (STYLE §6).
            554 when command == "DATA" => session.Recipients == 0 ? SmtpReply.NoValidRecipients : SmtpReply.TryLater,
            >= 200 and < 300 => new SmtpReply(code, "2.0.0", text),
            >= 400 and < 500 => new SmtpReply(code, "4.0.0", text),
            _ => new SmtpReply(code, "5.0.0", text),
        };
    }

    /// <summary>What the client should have sent first, from what this session has seen (Postfix's "need MAIL command").</summary>
    private static string Expected(BridgeSession session) => session.LineVerb switch
    {
        _ when session.HeloName is null && session.LineVerb is "MAIL" or "RCPT" or "DATA" or "AUTH" => "send HELO or EHLO first",
        "MAIL" => "a transaction is already open; send RSET first",
        "RCPT" => "send MAIL first",
        "DATA" => "send MAIL and RCPT first",
        "AUTH" => "AUTH is allowed once per session, outside a transaction",
        "STARTTLS" => "STARTTLS is allowed once, outside a transaction",
        _ => "not allowed now",
    };
}
