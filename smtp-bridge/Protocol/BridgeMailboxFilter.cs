using Microsoft.Extensions.Logging;
using SmtpServer;
using SmtpServer.Mail;
using SmtpServer.Storage;

namespace EmailApi.SmtpBridge.Protocol;

/// <summary>
/// MAIL and RCPT. No open relay: MAIL needs AUTH (530 5.7.0) unless the client is in a trusted
/// network, which then submits as the trusted account; credentials from AUTH are checked again
/// on every MAIL (<see cref="CredentialRecheck"/>). RCPT beyond the per-message limit gets
/// 452 4.5.3 (RFC 5321 §4.5.3.1.10), so the client sends the rest in another transaction.
/// </summary>
internal sealed class BridgeMailboxFilter(ISubmissionPort port, BridgeSettings settings, ILogger log) : IMailboxFilter
{
    public async Task<bool> CanAcceptFromAsync(ISessionContext context, IMailbox from, int size, CancellationToken cancellationToken)
    {
        var session = BridgeSession.Of(context);
        session.Recipients = 0;   // MAIL starts a new transaction
        if (await CredentialRecheck.RefusalAsync(port, session, log, cancellationToken) is { } refusal)
        {
            session.PendingReply = refusal;
            return false;
        }
        if (session.Principal is not null) return true;
        if (!session.FromTrustedNetwork)
        {
            session.PendingReply = SmtpReply.AuthenticationRequired;
            return false;
        }

        AuthOutcome outcome;
        try
        {
            outcome = await port.AuthorizeTrustedAsync(settings.TrustedAccount!, session.Remote, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            log.LogError(ex, "Trusted account {Account} could not be looked up", settings.TrustedAccount);
            outcome = new AuthOutcome.Unavailable(ex.Message);
        }
        if (outcome is AuthOutcome.Authenticated ok)
        {
            session.Principal = ok.Principal;
            return true;
        }
        // A missing or disabled trusted account is the operator's mistake, not the client's: temporary.
        log.LogError("Smtp:TrustedAccount {Account} is not usable ({Outcome}); {Remote} was told to retry", settings.TrustedAccount, outcome, session.Remote);
        session.PendingReply = SmtpReply.TryLater;
        return false;
    }

    public async Task<bool> CanDeliverToAsync(ISessionContext context, IMailbox to, IMailbox from, CancellationToken cancellationToken)
    {
        var session = BridgeSession.Of(context);
        var address = to.AsAddress();
        if (string.IsNullOrEmpty(address))
        {
            session.PendingReply = SmtpReply.BadRecipient;
            return false;
        }
        if (session.Recipients >= settings.MaxRecipients)
        {
            session.PendingReply = SmtpReply.TooManyRecipients;
            return false;
        }
        RecipientVerdict verdict;
        try
        {
            verdict = await port.CheckRecipientAsync(address, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            log.LogError(ex, "Recipient {Recipient} could not be checked", address);
            verdict = new RecipientVerdict.Unavailable();
        }
        switch (verdict)
        {
            case RecipientVerdict.Accepted:
                session.Recipients++;
                return true;
            case RecipientVerdict.Refused refused:
                session.PendingReply = SmtpReply.RelayDenied(refused.PublicReason);
                return false;
            default:
                session.PendingReply = SmtpReply.TryLater;
                return false;
        }
    }
}
