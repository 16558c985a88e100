using SmtpServer.Protocol;

namespace EmailApi.SmtpBridge.Protocol;

/// <summary>One reply with its RFC 3463 enhanced status code, as this bridge words it.</summary>
internal sealed record SmtpReply(int Code, string Enhanced, string Text)
{
    public static readonly SmtpReply AuthenticationRequired = new(530, "5.7.0", "Authentication required");
    public static readonly SmtpReply CredentialsNoLongerValid = new(530, "5.7.0", "Authentication required: the credentials of this session are no longer valid; reconnect and authenticate");
    public static readonly SmtpReply EncryptionRequired = new(538, "5.7.11", "Encryption required for requested authentication mechanism; use STARTTLS first");
    public static readonly SmtpReply TemporaryAuthFailure = new(454, "4.7.0", "Temporary authentication failure; try again later");
    public static readonly SmtpReply AuthLockedOut = new(421, "4.7.0", "Too many failed authentication attempts from your address; try again later");
    public static readonly SmtpReply TooManyRecipients = new(452, "4.5.3", "Too many recipients; send the rest in another transaction");
    public static readonly SmtpReply BadRecipient = new(501, "5.1.3", "Bad recipient address syntax");
    public static readonly SmtpReply TooManySessions = new(421, "4.7.0", "Too many connections; try again later");
    public static readonly SmtpReply TooManySessionsFromAddress = new(421, "4.7.0", "Too many connections from your address; try again later");
    public static readonly SmtpReply TooManyConnectionsPerMinute = new(421, "4.7.0", "Too many connections from your address in the last minute; try again later");
    public static readonly SmtpReply TooManyErrors = new(421, "4.7.0", "Too many errors; closing connection");
    public static readonly SmtpReply IdleTimeout = new(421, "4.4.2", "Idle timeout; closing connection");
    public static readonly SmtpReply CommandTimeout = new(421, "4.4.2", "Timeout waiting for a command; closing connection");
    public static readonly SmtpReply ShuttingDown = new(421, "4.3.2", "Service shutting down or session time limit reached; try again later");
    public static readonly SmtpReply LineTooLong = new(500, "5.5.2", "Line too long");
    public static readonly SmtpReply InvalidBase64 = new(501, "5.5.2", "Cannot decode the AUTH argument (base64)");
    public static readonly SmtpReply AuthCancelled = new(501, "5.7.0", "Authentication cancelled");
    public static readonly SmtpReply DuplicateParameter = new(501, "5.5.4", "Duplicate MAIL parameter");
    public static readonly SmtpReply BadSender = new(501, "5.1.7", "Bad sender address syntax");
    public static readonly SmtpReply BadArguments = new(501, "5.5.4", "Syntax error in parameters or arguments");
    public static readonly SmtpReply UnknownMechanism = new(504, "5.5.4", "Unrecognized authentication type");
    public static readonly SmtpReply NulInCommand = new(500, "5.5.2", "NUL character in command");
    public static readonly SmtpReply NotUtf8 = new(500, "5.5.2", "Command is neither ASCII nor UTF-8");
    public static readonly SmtpReply NonAsciiHelo = new(501, "5.5.4", "The HELO/EHLO name must be ASCII (A-labels for an internationalized name)");
    public static readonly SmtpReply NonAsciiAddress = new(553, "5.6.7", "Non-ASCII address requires the SMTPUTF8 parameter on MAIL");
    public static readonly SmtpReply Unrecognized = new(500, "5.5.2", "Command unrecognized");
    public static readonly SmtpReply NotImplemented = new(502, "5.5.1", "Command not implemented");
    public static readonly SmtpReply ReadyForTls = new(220, "2.0.0", "Ready to start TLS");
    public static readonly SmtpReply Bye = new(221, "2.0.0", "Bye");
    public static readonly SmtpReply AuthSucceeded = new(235, "2.7.0", "Authentication successful");   // RFC 4954 §6
    public static readonly SmtpReply AuthFailed = new(535, "5.7.8", "Authentication credentials invalid");   // RFC 4954 §6
    public static readonly SmtpReply MailboxNameNotAllowed = new(553, "5.1.3", "Mailbox name not allowed");
    public static readonly SmtpReply NoValidRecipients = new(554, "5.5.1", "No valid recipients");
    public static readonly SmtpReply MessageTooLarge = new(552, "5.3.4", "Message size exceeds fixed maximum message size");
    public static readonly SmtpReply EmptyMessage = new(554, "5.6.0", "Message is empty");
    public static readonly SmtpReply BareLineEnding = new(550, "5.6.0", "Message contains a bare CR or LF; lines must end with CRLF (RFC 5321 section 2.3.8)");
    public static readonly SmtpReply BadHeaders = new(554, "5.6.0", "Message headers cannot be parsed");
    public static readonly SmtpReply HeaderTooLarge = new(552, "5.3.4", "Message header too long: at most 102400 bytes in all and 8192 per field");
    public static readonly SmtpReply NulInMessage = new(554, "5.6.0", "Message contains NUL characters");
    public static readonly SmtpReply NoFromHeader = new(554, "5.6.0", "Message has no From header and the sender is null (RFC 5322 section 3.6)");
    public static readonly SmtpReply TryLater = new(451, "4.3.0", "Local error in processing; try again later");

    /// <summary>A command the package's state table refused (RFC 5321 §4.3.2), with what should come first.</summary>
    public static SmtpReply BadSequence(string hint) => new(503, "5.5.1", $"Bad sequence of commands: {hint}");

    /// <summary>A recipient this server does not take mail for (RFC 5321 §3.6.2, RFC 3463 X.7.1).</summary>
    public static SmtpReply RelayDenied(string reason) => new(550, "5.7.1", Clean(reason));

    /// <summary>The reply to the end of DATA for each submission outcome (RFC 3463 codes; STYLE §6: our own trouble is 451 4.3.0).</summary>
    public static SmtpReply For(SubmitOutcome outcome) => outcome switch
    {
        SubmitOutcome.Queued queued => new(250, "2.0.0", $"Ok: queued as {queued.MessageId}"),
        SubmitOutcome.Rejected { Reason: RejectReason.TooLarge } r => new(552, "5.3.4", Clean(r.PublicReason)),
        SubmitOutcome.Rejected { Reason: RejectReason.TooManyRecipients } r => new(554, "5.5.3", Clean(r.PublicReason)),
        SubmitOutcome.Rejected { Reason: RejectReason.NoRecipients } r => new(554, "5.5.1", Clean(r.PublicReason)),
        SubmitOutcome.Rejected { Reason: RejectReason.Content } r => new(554, "5.6.0", Clean(r.PublicReason)),
        SubmitOutcome.Rejected { Reason: RejectReason.MailLoop } r => new(554, "5.4.6", Clean(r.PublicReason)),
        SubmitOutcome.Rejected r => new(550, "5.7.1", Clean(r.PublicReason)),
        SubmitOutcome.QuotaExceeded quota => new(451, "4.7.1", Clean(quota.PublicReason)),
        SubmitOutcome.RateLimited rate => new(451, "4.7.0", Clean(rate.PublicReason)),
        SubmitOutcome.Unavailable unavailable => new(451, "4.3.0", Clean(unavailable.PublicReason)),
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, null),
    };

    public string ToLine() => $"{Code} {Enhanced} {Text}";

    /// <summary>For the SmtpServer package: its reply writer prints code and message.</summary>
    public SmtpResponse ToResponse() => new((SmtpReplyCode)Code, $"{Enhanced} {Text}");

    /// <summary>For the package to send and then end the session (a 421).</summary>
    public SmtpResponseException Closing() => new(ToResponse(), quit: true, Carrying());

    public SmtpResponseException Refusal() => new(ToResponse(), quit: false, Carrying());

    /// <summary>
    /// The package writes a thrown reply with its own additions (a retry count); the exception
    /// carries this value too, so the session sends it as worded here (<see cref="SessionGuard"/>).
    /// </summary>
    public static SmtpReply? CarriedBy(SmtpResponseException exception) =>
        exception.Properties is { } properties && properties.TryGetValue(PropertyKey, out var reply) ? reply as SmtpReply : null;

    private const string PropertyKey = "EmailApi.SmtpBridge.Reply";

    private Dictionary<string, object> Carrying() => new() { [PropertyKey] = this };

    /// <summary>A reason from elsewhere, fit for one reply line.</summary>
    private static string Clean(string text)
    {
        // Replies are ASCII: the package writes them so, and a client without SMTPUTF8 expects nothing else.
        var line = new string(text.Select(c => char.IsControl(c) ? ' ' : c > '~' ? '?' : c).ToArray()).Trim();
        return line.Length == 0 ? "Refused" : line.Length > 400 ? line[..400] : line;
    }
}

