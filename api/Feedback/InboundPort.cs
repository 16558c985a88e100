using System.Net;
using EmailApi.Domains;
using EmailApi.Queue;
using EmailApi.SmtpBridge;
using Microsoft.Extensions.Options;

namespace EmailApi.Feedback;

/// <summary>
/// The inbound listener's side of the SMTP adapter: no logins, recipients limited to this relay's
/// own addresses (<c>b+TOKEN@&lt;label&gt;.&lt;domain&gt;</c> and <c>unsub+TOKEN@</c> a domain or its
/// return-path subdomain, for a domain some account added), and every message stored as one
/// report per recipient before the 250. A token is not checked here: a forged one is taken and
/// kept for inspection, and the client never learns whether a token was good.
/// </summary>
public sealed class InboundPort(IFeedbackStore store, IDomainStore domains, IOptions<DomainsOptions> domainOptions, TimeProvider clock, ILogger<InboundPort> log) : ISubmissionPort
{
    public const string PrincipalName = "inbound";
    private static readonly SmtpPrincipal Anyone = new("", PrincipalName);

    public Task<AuthOutcome> AuthenticateAsync(string user, string password, IPEndPoint remote, CancellationToken ct) =>
        Task.FromResult<AuthOutcome>(new AuthOutcome.Refused());

    public Task<AuthOutcome> RecheckAsync(SmtpPrincipal principal, CancellationToken ct) =>
        Task.FromResult<AuthOutcome>(new AuthOutcome.Authenticated(Anyone));

    public Task<AuthOutcome> AuthorizeTrustedAsync(string accountName, IPEndPoint remote, CancellationToken ct) =>
        Task.FromResult<AuthOutcome>(new AuthOutcome.Authenticated(Anyone));

    public async Task<RecipientVerdict> CheckRecipientAsync(string address, CancellationToken ct)
    {
        var refused = new RecipientVerdict.Refused("Relaying denied: this server accepts only reports for its own return-path addresses");
        var at = address.LastIndexOf('@');
        if (at <= 0) return refused;
        var local = address[..at];
        var domain = DomainName.Normalize(address[(at + 1)..]);
        if (domain is null) return refused;
        var bounce = VerpCodec.TokenOf(local, VerpCodec.BouncePrefix) is not null;
        var unsubscribe = VerpCodec.TokenOf(local, VerpCodec.UnsubscribePrefix) is not null;
        if (!bounce && !unsubscribe) return refused;
        var prefix = domainOptions.Value.ReturnPathLabel + ".";
        if (domain.StartsWith(prefix, StringComparison.Ordinal) && await domains.ExistsAsync(domain[prefix.Length..], ct))
            return RecipientVerdict.Accept;
        // The mailto: unsubscribe address sits on the relay's own inbound host (Inbound:HostName, as the
        // List-Unsubscribe header names it) or on a sending domain itself.
        if (unsubscribe && domainOptions.Value.InboundHostName is { } inbound && DomainName.Normalize(inbound) == domain)
            return RecipientVerdict.Accept;
        if (unsubscribe && await domains.ExistsAsync(domain, ct)) return RecipientVerdict.Accept;
        return refused;
    }

    public string NewMessageId() => MessageId.New(clock).ToString();

    public async Task<SubmitOutcome> SubmitAsync(SmtpEnvelope envelope, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var reports = envelope.Recipients.Select((rcpt, i) => new InboundReport(
            i == 0 ? envelope.MessageId : MessageId.New(clock).ToString(), now, envelope.Remote.Address.ToString(), envelope.MailFrom, rcpt, envelope.Message)).ToArray();
        try
        {
            await store.AddReportsAsync(reports, ct);
            return new SubmitOutcome.Queued(envelope.MessageId);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            log.LogError(ex, "Could not store an inbound report from {Remote}", envelope.Remote);
            return new SubmitOutcome.Unavailable("Cannot store the report now; try again later");
        }
    }
}
