using System.Text.RegularExpressions;

namespace EmailApi.SmtpBridge.Protocol;

/// <summary>
/// Gives every reply the SmtpServer package writes by itself an RFC 3463 enhanced status code
/// (RFC 2034 §3: all replies except the greeting and the answer to HELO/EHLO, which the caller
/// leaves alone), and fixes the few it words wrongly: the state machine's "501 expected ..."
/// is a sequence error (503, RFC 5321 §4.3.2), and its catch-all "554" at the end of DATA is
/// always the server's own failure, so it becomes 451 4.3.0 (STYLE §6: never 5xx for our trouble).
/// </summary>
internal static partial class ReplyRewriter
{
    public static string Rewrite(int code, string text, string? command)
    {
        text = RetrySuffix().Replace(text, "");   // the package counts retries; this bridge counts errors itself
        if (EnhancedCode().IsMatch(text)) return $"{code} {text}";
        var (newCode, enhanced, newText) = Classify(code, text, command);
        return newText.Length == 0 ? $"{newCode} {enhanced}" : $"{newCode} {enhanced} {newText}";
    }

    private static (int Code, string Enhanced, string Text) Classify(int code, string text, string? command) => code switch
    {
        220 => (220, "2.0.0", "Ready to start TLS"),   // after the greeting, only STARTTLS answers 220
        // The package closes timed-out and cancelled sessions with 221 (its "closing channel"); RFC 5321 §3.8 says 421.
        221 when text.StartsWith("Timeout", StringComparison.OrdinalIgnoreCase) => (421, "4.4.2", "Timeout waiting for a command; closing connection"),
        221 when text.Contains("cancelled", StringComparison.OrdinalIgnoreCase) => (421, "4.3.2", "Service shutting down or session time limit reached; try again later"),
        221 => (221, "2.0.0", "Bye"),
        235 => (235, "2.7.0", "Authentication successful"),   // RFC 4954 §6
        250 => (250, command switch { "MAIL" => "2.1.0", "RCPT" => "2.1.5", _ => "2.0.0" }, text),
        421 when text.StartsWith("Timeout", StringComparison.OrdinalIgnoreCase) => (421, "4.4.2", "Timeout waiting for a command; closing connection"),
        421 => (421, "4.3.2", "Service shutting down or session time limit reached; try again later"),
        501 when text.StartsWith("expected ", StringComparison.Ordinal) => (503, "5.5.1", $"Bad sequence of commands ({text})"),
        554 when text.Length == 0 => (451, "4.3.0", "Local error in processing; try again later"),
        500 => (500, "5.5.2", text),
        501 => (501, "5.5.4", text),
        502 or 503 => (code, "5.5.1", text),
        504 => (504, "5.5.4", text),
        530 => (530, "5.7.0", text),
        535 => (535, "5.7.8", "Authentication credentials invalid"),   // RFC 4954 §6
        552 => (552, "5.3.4", "Message size exceeds fixed maximum message size"),
        553 => (553, "5.1.3", text),
        >= 200 and < 300 => (code, "2.0.0", text),
        >= 400 and < 500 => (code, "4.0.0", text),
        _ => (code, "5.0.0", text),
    };

    [GeneratedRegex(@"^[245]\.\d{1,3}\.\d{1,3}(?: |$)")]
    private static partial Regex EnhancedCode();

    [GeneratedRegex(@", \d+ retry\(ies\) remaining\.$")]
    private static partial Regex RetrySuffix();
}
