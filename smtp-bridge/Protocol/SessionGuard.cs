using SmtpServer;
using SmtpServer.Protocol;

namespace EmailApi.SmtpBridge.Protocol;

/// <summary>
/// Runs before each command the package accepted (its CommandExecuting event): refuses AUTH
/// where it is not allowed, records the HELO name, and tells the reply writer which command
/// is answering. A <see cref="SmtpResponseException"/> thrown here is sent as the reply and the
/// command does not run.
/// </summary>
internal sealed class SessionGuard(AuthThrottle throttle, BridgeSettings settings)
{
    public void Watch(ISessionContext context)
    {
        context.CommandExecuting += OnExecuting;
        context.CommandExecuted += OnExecuted;
        context.ResponseException += OnResponseException;
    }

    // The package raises this before it writes the exception's response: one of ours goes out
    // as we worded it, without the package's additions (a filter's reply set earlier wins).
    private static void OnResponseException(object? sender, SmtpResponseExceptionEventArgs e)
    {
        if (SmtpReply.CarriedBy(e.Exception) is { } own) BridgeSession.Of(e.Context).PendingReply ??= own;
    }

    private void OnExecuting(object? sender, SmtpCommandEventArgs e)
    {
        var session = BridgeSession.Of(e.Context);
        switch (e.Command)
        {
            // RFC 4954 §4 and RFC 3207 §4: refuse before the client sends credentials in the clear.
            case AuthCommand when !e.Context.Pipe.IsSecure && !session.PlaintextAuthAllowed:
                throw SmtpReply.EncryptionRequired.Refusal();
            case AuthCommand when throttle.IsLockedOut(session.Address):
                throw SmtpReply.AuthLockedOut.Closing();
            // RFC 1870 §6.3. The package reads SIZE= as an int and takes anything larger as 0.
            case MailCommand mail when mail.Parameters.TryGetValue("SIZE", out var size) && long.TryParse(size, out var declared) && declared > settings.MaxMessageBytes:
                throw SmtpReply.MessageTooLarge.Refusal();
            case EhloCommand ehlo:
                session.HeloName = ehlo.DomainOrAddress;
                session.Extended = true;
                break;
            case HeloCommand helo:
                session.HeloName = helo.DomainOrAddress;
                session.Extended = false;
                break;
            case StartTlsCommand:
                session.HeloName = null;   // RFC 3207 §4.2: the client starts over with EHLO
                break;
        }
        session.CurrentCommand = e.Command.Name;
    }

    private static void OnExecuted(object? sender, SmtpCommandEventArgs e) => BridgeSession.Of(e.Context).CurrentCommand = null;
}
