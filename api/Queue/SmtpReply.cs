using System.Globalization;

namespace EmailApi.Queue;

/// <summary>
/// One SMTP answer as a value (maddy's <c>SMTPError</c>): the basic reply code (RFC 5321 §4.2),
/// the RFC 3463 enhanced status and the text. It is read off MailKit's answer once, in
/// <see cref="Delivery.SmtpRelay"/>, and carried as is through outcomes, the queue, events, DSNs and the
/// API, so nothing downstream parses text again.
/// </summary>
/// <param name="Code">The server's reply code; null for our own verdict when no server answered (a connection or DNS failure).</param>
/// <param name="EnhancedStatus">The RFC 3463 status the server gave, or the one we chose; null when a server gave none.</param>
/// <param name="Text">The rest of the reply, on one line.</param>
public sealed record SmtpReply(int? Code, string? EnhancedStatus, string Text)
{
    /// <summary>The RFC 3463 status, or when none was given the one its reply code's class implies (X.0.0).</summary>
    public string Status => EnhancedStatus ?? $"{Class}.0.0";

    /// <summary>2, 4 or 5: from the reply code when there is one (RFC 3463 §2: they must agree), else from the status.</summary>
    public int Class => Code is { } code ? code / 100 : EnhancedStatus is { Length: > 0 } status ? status[0] - '0' : 4;

    public bool Permanent => Class == 5;

    /// <summary>
    /// Whether a permanent failure says the address itself is bad (RFC 3463 X.1.X, or without an
    /// enhanced status a bare 550/551/553), so later mail to it should be suppressed. Policy
    /// refusals (5.7.x, spam) are not.
    /// </summary>
    public bool IsBadAddress => EnhancedStatus is { } status
        ? status.StartsWith("5.1.", StringComparison.Ordinal)
        : Code is 550 or 551 or 553;

    /// <summary>The reply as one line, as it was given: <c>550 5.1.1 No such user</c>.</summary>
    public override string ToString() => string.Join(' ', new[] { Code?.ToString(CultureInfo.InvariantCulture), EnhancedStatus, Text }.Where(p => !string.IsNullOrEmpty(p)));

    /// <summary>Our own verdict, no server having answered: <c>4.4.1 No MX host could be reached</c>.</summary>
    public static SmtpReply Local(string enhancedStatus, string text) => new(null, enhancedStatus, OneLine(text));

    /// <summary>Our own verdict worded as an SMTP reply (a refusal the relay makes in a server's place).</summary>
    public static SmtpReply Of(int code, string enhancedStatus, string text) => new(code, enhancedStatus, OneLine(text));

    /// <summary>
    /// A server's reply code and the text after it (MailKit's <c>SmtpResponse</c> or
    /// <c>SmtpCommandException</c>). MailKit does not read RFC 2034 enhanced status codes, so they
    /// are read here, once, as the relay takes the answer: the first word when it is
    /// <c>class.subject.detail</c> with the reply code's class (RFC 3463 §2, RFC 2034 §4).
    /// </summary>
    public static SmtpReply FromServer(int code, string text)
    {
        var line = OneLine(text);
        var end = line.IndexOf(' ');
        var first = end < 0 ? line : line[..end];
        return IsEnhancedStatus(first, code / 100)
            ? new SmtpReply(code, first, end < 0 ? "" : line[(end + 1)..].TrimStart())
            : new SmtpReply(code, null, line);
    }

    private static bool IsEnhancedStatus(string word, int replyClass)
    {
        var parts = word.Split('.');
        return parts.Length == 3
            && parts[0] == replyClass.ToString(CultureInfo.InvariantCulture)
            && parts[1] is { Length: >= 1 and <= 3 } && parts[1].All(char.IsAsciiDigit)
            && parts[2] is { Length: >= 1 and <= 3 } && parts[2].All(char.IsAsciiDigit);
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}
