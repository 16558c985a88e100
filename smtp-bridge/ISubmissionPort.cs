using System.Net;

namespace EmailApi.SmtpBridge;

/// <summary>
/// Everything the SMTP bridge needs from the rest of EmailApi: checking credentials, naming the
/// account a trusted network submits as, and handing over one complete message. The host
/// implements it on top of its submission service; the bridge never sees SQL or HTTP.
/// </summary>
/// <remarks>
/// Expected failures come back as outcomes. An exception is treated as the server's own
/// transient trouble and answered 451 4.3.0 (or 454 4.7.0 during AUTH), never with a 5xx.
/// </remarks>
public interface ISubmissionPort
{
    /// <summary>AUTH PLAIN or LOGIN: <paramref name="password"/> is an API key with the <c>send</c> scope; the user name is not checked.</summary>
    Task<AuthOutcome> AuthenticateAsync(string user, string password, IPEndPoint remote, CancellationToken ct);

    /// <summary>
    /// Before each transaction (MAIL, and again at the end of DATA) of a session that authenticated
    /// earlier: <see cref="AuthOutcome.Refused"/> once its key was revoked or lost the <c>send</c>
    /// scope, or its account was disabled. Meant to be cheap (a cache the host invalidates when a
    /// key changes), since it runs for every message.
    /// </summary>
    Task<AuthOutcome> RecheckAsync(SmtpPrincipal principal, CancellationToken ct);

    /// <summary>A client in <c>Smtp:TrustedNetworks</c> submits without AUTH as the account named <paramref name="accountName"/>.</summary>
    Task<AuthOutcome> AuthorizeTrustedAsync(string accountName, IPEndPoint remote, CancellationToken ct);

    /// <summary>
    /// Each RCPT: the submission bridge relays for its authenticated clients and accepts any address;
    /// an inbound listener accepts only its own (anything else is 550 5.7.1, never an open relay).
    /// </summary>
    Task<RecipientVerdict> CheckRecipientAsync(string address, CancellationToken ct);

    /// <summary>A fresh message id: it appears in the Received header, in a Message-ID added when the message has none, and in the 250 reply.</summary>
    string NewMessageId();

    /// <summary>Stores the message durably; <see cref="SubmitOutcome.Queued"/> only after the commit.</summary>
    Task<SubmitOutcome> SubmitAsync(SmtpEnvelope envelope, CancellationToken ct);
}
