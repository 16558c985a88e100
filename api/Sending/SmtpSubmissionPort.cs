using System.Diagnostics;
using System.Net;
using EmailApi.Accounts;
using EmailApi.Queue;
using EmailApi.SmtpBridge;

namespace EmailApi.Sending;

/// <summary>
/// The SMTP door's way into the one room: an AUTH password is an API key with the <c>send</c>
/// scope (any user name; <c>apikey</c> by convention), a trusted network submits as a named
/// account, and every message goes through <see cref="SubmissionService"/> as
/// <see cref="MessageSource.Smtp"/>, so it shows up in <c>GET /v1/messages/{id}</c> like one sent
/// over HTTP. Storage trouble is reported as unavailable (the bridge answers 451/454), never thrown.
/// </summary>
internal sealed class SmtpSubmissionPort(
    ApiKeyAuthenticator keys,
    AccountDirectory accounts,
    SubmissionService submissions,
    TimeProvider clock,
    ILogger<SmtpSubmissionPort> log) : ISubmissionPort
{
    public async Task<AuthOutcome> AuthenticateAsync(string user, string password, IPEndPoint remote, CancellationToken ct)
    {
        try
        {
            var key = await keys.AuthenticateAsync(password, ct);
            if (key is null || !key.Scopes.Contains(Scopes.Send)) return new AuthOutcome.Refused();
            return new AuthOutcome.Authenticated(new SmtpPrincipal(key.AccountId, $"key {key.Id}", key.Id));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.LogError(ex, "Could not check an SMTP AUTH key from {Remote}", remote);
            return new AuthOutcome.Unavailable("The key store is unavailable.");
        }
    }

    // Authenticated clients relay to anyone: the submission service applies suppressions and limits.
    public Task<RecipientVerdict> CheckRecipientAsync(string address, CancellationToken ct) => Task.FromResult(RecipientVerdict.Accept);

    public async Task<AuthOutcome> RecheckAsync(SmtpPrincipal principal, CancellationToken ct)
    {
        // A trusted network has no key; its account's disabled flag is checked by the submission itself.
        if (principal.KeyId is not { } keyId) return new AuthOutcome.Authenticated(principal);
        try
        {
            var key = await keys.StillValidAsync(keyId, ct);
            return key is not null && key.Scopes.Contains(Scopes.Send) ? new AuthOutcome.Authenticated(principal) : new AuthOutcome.Refused();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.LogError(ex, "Could not check SMTP key {KeyId} again", keyId);
            return new AuthOutcome.Unavailable("The key store is unavailable.");
        }
    }

    public async Task<AuthOutcome> AuthorizeTrustedAsync(string accountName, IPEndPoint remote, CancellationToken ct)
    {
        try
        {
            return await accounts.FindByNameAsync(accountName, ct) is { Disabled: false } account
                ? new AuthOutcome.Authenticated(new SmtpPrincipal(account.Id, $"trusted network as {account.Name}"))
                : new AuthOutcome.Refused();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.LogError(ex, "Could not look up the trusted SMTP account {Account}", accountName);
            return new AuthOutcome.Unavailable("The account store is unavailable.");
        }
    }

    public string NewMessageId() => MessageId.New(clock).ToString();

    public async Task<SubmitOutcome> SubmitAsync(SmtpEnvelope envelope, CancellationToken ct)
    {
        if (!MessageId.TryParse(envelope.MessageId, out var id))
            throw new ArgumentException($"'{envelope.MessageId}' was not made by {nameof(NewMessageId)}.", nameof(envelope));
        var submission = new Submission(id, envelope.Principal.AccountId, MessageSource.Smtp, envelope.MailFrom, envelope.Recipients,
            envelope.Message, envelope.HeaderFrom, envelope.Subject, [], null);
        Submitted submitted;
        try
        {
            submitted = await submissions.SubmitAsync(submission, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return new SubmitOutcome.Unavailable("The server is shutting down; try again later.");
        }
        return submitted switch
        {
            Submitted.Accepted accepted => new SubmitOutcome.Queued(accepted.Id.ToString()),
            Submitted.Rejected { Kind: RejectionKind.QuotaExceeded } r => new SubmitOutcome.QuotaExceeded(r.PublicReason),
            Submitted.Rejected { Kind: RejectionKind.RateLimited } r => new SubmitOutcome.RateLimited(r.PublicReason),
            Submitted.Rejected { Kind: RejectionKind.TooLarge } r => new SubmitOutcome.Rejected(RejectReason.TooLarge, r.PublicReason),
            Submitted.Rejected { Kind: RejectionKind.TooManyRecipients } r => new SubmitOutcome.Rejected(RejectReason.TooManyRecipients, r.PublicReason),
            Submitted.Rejected { Kind: RejectionKind.NoRecipients } r => new SubmitOutcome.Rejected(RejectReason.NoRecipients, r.PublicReason),
            Submitted.Rejected { Kind: RejectionKind.MailLoop } r => new SubmitOutcome.Rejected(RejectReason.MailLoop, r.PublicReason),
            Submitted.Rejected r => new SubmitOutcome.Rejected(RejectReason.Policy, r.PublicReason),
            Submitted.Unavailable unavailable => new SubmitOutcome.Unavailable(unavailable.PublicReason),
            var other => throw new UnreachableException(other.ToString()),
        };
    }
}
