namespace EmailApi.SmtpBridge;

/// <summary>The <c>Smtp</c> configuration section: listeners, TLS, limits and who may submit.</summary>
public sealed class SmtpOptions
{
    public const string Section = "Smtp";

    /// <summary>Address both listeners bind to.</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>Submission port with STARTTLS offered; 0 picks a free port, -1 turns the listener off.</summary>
    public int Port { get; set; } = 2525;

    /// <summary>Implicit TLS port (RFC 8314 §3.3: TLS from the first byte); 0 picks a free port, -1 turns it off.</summary>
    public int ImplicitTlsPort { get; set; } = 2465;

    /// <summary>Name in the greeting, EHLO reply, Received header and added Message-IDs; the host defaults it to <c>Delivery:HeloName</c>.</summary>
    public string? ServerName { get; set; }

    public SmtpCertificateOptions Certificate { get; set; } = new();

    /// <summary>Where a generated self-signed certificate is kept; the host sets it to the folder of <c>Storage:Sqlite:Path</c>.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>Largest message (the SIZE limit, RFC 1870), enforced whether or not the client declares SIZE=.</summary>
    public int MaxMessageBytes { get; set; } = 26_214_400;

    /// <summary>RCPT commands accepted per message; more get 452 4.5.3 (RFC 5321 §4.5.3.1.10).</summary>
    public int MaxRecipients { get; set; } = 50;

    /// <summary>CIDRs whose clients may submit without AUTH, as <see cref="TrustedAccount"/>. Empty: AUTH always.</summary>
    public List<string> TrustedNetworks { get; set; } = [];

    /// <summary>Account name that clients from <see cref="TrustedNetworks"/> submit as.</summary>
    public string? TrustedAccount { get; set; }

    /// <summary>CIDRs from which AUTH is allowed without TLS; unset means loopback only. Elsewhere AUTH before STARTTLS gets 538 5.7.11.</summary>
    public List<string>? PlaintextAuthNetworks { get; set; }

    /// <summary>Simultaneous sessions over both listeners; one more is answered 421 4.7.0 and closed.</summary>
    public int MaxSessions { get; set; } = 100;

    /// <summary>
    /// An inbound (MX) listener rather than a submission one: AUTH is not offered, MAIL is taken from
    /// anyone (as the trusted account), and each RCPT must pass <see cref="ISubmissionPort.CheckRecipientAsync"/>.
    /// Set by the host for its inbound listener; not a configuration key of the submission bridge.
    /// </summary>
    public bool Inbound { get; set; }

    /// <summary>
    /// Simultaneous sessions from one client address (Postfix's smtpd_client_connection_count_limit);
    /// one more is answered 421 4.7.0 and closed. 0 turns the limit off.
    /// </summary>
    public int MaxSessionsPerAddress { get; set; } = 20;

    /// <summary>
    /// Connections one client address may open per minute (Postfix's smtpd_client_connection_rate_limit);
    /// more are answered 421 4.7.0 and closed. 0 turns the limit off.
    /// </summary>
    public int MaxConnectionsPerAddressPerMinute { get; set; } = 300;

    /// <summary>
    /// CIDRs exempt from the per-address limits (Postfix's smtpd_client_event_limit_exceptions);
    /// unset means <see cref="TrustedNetworks"/>.
    /// </summary>
    public List<string>? ConnectionLimitExemptNetworks { get; set; }

    /// <summary>Error replies (4xx/5xx) in one session before it is closed with 421 4.7.0 (Postfix's smtpd_hard_error_limit).</summary>
    public int MaxErrors { get; set; } = 20;

    /// <summary>Longest command line in octets (RFC 5321 §4.5.3.1.4 allows 512; AUTH and extensions need more).</summary>
    public int MaxLineLength { get; set; } = 2048;

    /// <summary>Time for one complete command line to arrive (RFC 5321 §4.5.3.2.7), and for a TLS handshake.</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Longest silence from the client in any phase, the message body included.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Longest session, however busy.</summary>
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Failed AUTH attempts in one session before it is closed.</summary>
    public int MaxAuthAttempts { get; set; } = 3;

    /// <summary>Failed AUTH attempts from one address within <see cref="AuthFailureWindow"/> before it is locked out.</summary>
    public int MaxAuthFailures { get; set; } = 10;

    public TimeSpan AuthFailureWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long a locked-out address gets 421 4.7.0 to AUTH.</summary>
    public TimeSpan AuthLockout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Delay before a 535 per failure already recorded for the address (capped at five times this).</summary>
    public TimeSpan AuthFailureDelay { get; set; } = TimeSpan.FromSeconds(1);
}
