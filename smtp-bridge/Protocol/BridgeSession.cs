using System.Diagnostics;
using System.Net;
using SmtpServer;

namespace EmailApi.SmtpBridge.Protocol;

/// <summary>
/// This bridge's state for one connection, kept in the package's session properties. A session
/// runs one command at a time, so nothing here needs locking.
/// </summary>
/// <param name="stopping">The server's own stop, as the package hands it to the listener.</param>
internal sealed class BridgeSession(IPEndPoint remote, bool fromTrustedNetwork, bool plaintextAuthAllowed, CancellationToken stopping = default)
{
    private readonly long _started = Stopwatch.GetTimestamp();

    private const string PropertyKey = "EmailApi.SmtpBridge.Session";

    public IPEndPoint Remote { get; } = remote;

    public IPAddress Address { get; } = remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address;

    public bool FromTrustedNetwork { get; } = fromTrustedNetwork;

    public bool PlaintextAuthAllowed { get; } = plaintextAuthAllowed;

    /// <summary>Whom messages are submitted as: set by AUTH, or on the first MAIL from a trusted network.</summary>
    public SmtpPrincipal? Principal { get; set; }

    /// <summary>True when <see cref="Principal"/> came from AUTH (RFC 3848: ESMTPA).</summary>
    public bool Authenticated { get; set; }

    public string? HeloName { get; set; }

    public bool Extended { get; set; }

    /// <summary>Protocol and cipher once TLS is up, for the Received header.</summary>
    public string? Tls { get; set; }

    /// <summary>
    /// The verb of the last command line handed to the package (upper case). A reply to a line
    /// the package could not turn into a command says nothing of which command it was; this does.
    /// </summary>
    public string? LineVerb { get; set; }

    /// <summary>The current transaction's MAIL carried SMTPUTF8 (RFC 6531), so RCPT may name UTF-8 addresses.</summary>
    public bool Utf8Transaction { get; set; }

    /// <summary>A 334 was sent: the next line is an AUTH response (RFC 4954 §4), not a command.</summary>
    public bool AuthChallenged { get; set; }

    /// <summary>The command being executed, so the reply to it gets the right enhanced code.</summary>
    public string? CurrentCommand { get; set; }

    /// <summary>
    /// The reply to send instead of the package's generic one: a filter that returns false makes
    /// the package write "550 mailbox unavailable", which the reply writer swaps for this.
    /// </summary>
    public SmtpReply? PendingReply { get; set; }

    /// <summary>RCPTs accepted in the current transaction (the package's transaction is not visible to a filter).</summary>
    public int Recipients { get; set; }

    public DataVerdict Verdict { get; set; }

    public bool GreetingSent { get; set; }

    public int Errors { get; set; }

    /// <summary>The connection is being closed by the bridge: nothing more is read or written.</summary>
    public bool Closed { get; set; }

    /// <summary>Whether the session is ending because the server stops or its time limit (Smtp:SessionTimeout) is up.</summary>
    public bool IsEnding(TimeSpan sessionTimeout) => stopping.IsCancellationRequested || Stopwatch.GetElapsedTime(_started) >= sessionTimeout;

    public void AttachTo(ISessionContext context) => context.Properties[PropertyKey] = this;

    public static BridgeSession Of(ISessionContext context) => (BridgeSession)context.Properties[PropertyKey];
}
