using Microsoft.Extensions.Logging;
using SmtpServer;
using SmtpServer.Authentication;

namespace EmailApi.SmtpBridge.Protocol;

/// <summary>
/// AUTH PLAIN and LOGIN against the submission port. A refusal is slowed by <see cref="AuthThrottle"/>
/// before the package answers 535 5.7.8; the failure that reaches the address's limit ends the
/// session with 421 4.7.0. When the port cannot check, the client gets 454 4.7.0 (RFC 4954 §6).
/// </summary>
internal sealed class BridgeAuthenticator(ISubmissionPort port, AuthThrottle throttle, TimeProvider clock, ILogger log, Action? authenticated = null) : IUserAuthenticator
{
    public async Task<bool> AuthenticateAsync(ISessionContext context, string user, string password, CancellationToken cancellationToken)
    {
        var session = BridgeSession.Of(context);
        if (session.Closed) return false;   // the credentials never arrived (timeout)

        AuthOutcome outcome;
        try
        {
            outcome = await port.AuthenticateAsync(user ?? "", password ?? "", session.Remote, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            log.LogError(ex, "AUTH from {Remote} could not be checked", session.Remote);
            outcome = new AuthOutcome.Unavailable(ex.Message);
        }

        switch (outcome)
        {
            case AuthOutcome.Authenticated ok:
                session.Principal = ok.Principal;
                session.Authenticated = true;
                throttle.RecordSuccess(session.Address);
                authenticated?.Invoke();
                log.LogInformation("AUTH from {Remote} as {Principal}", session.Remote, ok.Principal.Name);
                return true;
            case AuthOutcome.Refused:
                var delay = throttle.RecordFailure(session.Address);
                log.LogWarning("AUTH from {Remote} refused (user {User}){Lockout}", session.Remote, user, delay is null ? "; address locked out" : "");
                if (delay is null) throw SmtpReply.AuthLockedOut.Closing();
                if (delay > TimeSpan.Zero) await Task.Delay(delay.Value, clock, cancellationToken);
                return false;
            case AuthOutcome.Unavailable unavailable:
                log.LogWarning("AUTH from {Remote} could not be checked: {Reason}", session.Remote, unavailable.Reason);
                session.PendingReply = SmtpReply.TemporaryAuthFailure;
                return false;
            default:
                throw new InvalidOperationException($"Unknown outcome {outcome}");
        }
    }
}
