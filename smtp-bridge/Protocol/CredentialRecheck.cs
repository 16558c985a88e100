using Microsoft.Extensions.Logging;

namespace EmailApi.SmtpBridge.Protocol;

/// <summary>
/// Checks, at the start and at the end of each transaction, that the credentials a session
/// authenticated with are still good: AUTH happens once per connection, and a mailer may keep
/// its connection for hours, so a revoked key must not keep sending on it.
/// </summary>
/// <remarks>
/// A revoked key gets 530 5.7.0 (RFC 4954 §6: the reply to any command other than AUTH, EHLO,
/// HELO, NOOP, RSET or QUIT when authentication is required), and the session is no longer
/// authenticated. The SmtpServer package allows one AUTH per session, so the client must
/// reconnect to log in again. When the check cannot be made, 451 4.3.0: our trouble, temporary.
/// </remarks>
internal static class CredentialRecheck
{
    /// <summary>Null when the session may go on; otherwise the reply to send instead.</summary>
    public static async Task<SmtpReply?> RefusalAsync(ISubmissionPort port, BridgeSession session, ILogger log, CancellationToken ct)
    {
        if (!session.Authenticated || session.Principal is not { } principal) return null;
        AuthOutcome outcome;
        try
        {
            outcome = await port.RecheckAsync(principal, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            log.LogError(ex, "The credentials of {Principal} from {Remote} could not be checked again", principal.Name, session.Remote);
            outcome = new AuthOutcome.Unavailable(ex.Message);
        }
        switch (outcome)
        {
            case AuthOutcome.Authenticated:
                return null;
            case AuthOutcome.Refused:
                log.LogWarning("{Principal} from {Remote} is no longer valid (key revoked or account disabled); transaction refused", principal.Name, session.Remote);
                session.Principal = null;
                session.Authenticated = false;
                return SmtpReply.CredentialsNoLongerValid;
            case AuthOutcome.Unavailable unavailable:
                log.LogWarning("The credentials of {Principal} from {Remote} could not be checked again: {Reason}", principal.Name, session.Remote, unavailable.Reason);
                return SmtpReply.TryLater;
            default:
                throw new InvalidOperationException($"Unknown outcome {outcome}");
        }
    }
}
