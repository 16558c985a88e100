using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Unicode;

namespace EmailApi.SmtpBridge.Protocol;

/// <summary>
/// Looks at one complete input line before the SmtpServer package parses it, for the inputs the
/// package does not answer at all but drops the connection on (a repeated MAIL parameter: it
/// builds a dictionary and throws; an AUTH response that is not base64: it decodes and throws)
/// or wrongly accepts (a NUL, which it cuts the line at; bytes that are not UTF-8; a non-ASCII
/// EHLO name; a UTF-8 address without SMTPUTF8). Everything else is left to the package's parser.
/// </summary>
internal static class CommandLineCheck
{
    /// <summary>The reply that refuses <paramref name="line"/> (without its LF), or null when the package may have it.</summary>
    /// <param name="utf8Transaction">The MAIL of the current transaction carried SMTPUTF8; a MAIL that passes sets it.</param>
    public static SmtpReply? Refusal(ReadOnlySequence<byte> line, bool authResponse, ref bool utf8Transaction)
    {
        var bytes = line.ToArray();
        if (bytes.Length > 0 && bytes[^1] == '\r') bytes = bytes[..^1];
        var text = Encoding.Latin1.GetString(bytes);
        if (authResponse)
        {
            // RFC 4954 §4: "*" cancels the exchange and MUST get 501; anything else must be base64.
            if (text == "*") return SmtpReply.AuthCancelled;
            return text.Length == 0 || Base64.IsValid(text) ? null : SmtpReply.InvalidBase64;
        }

        // RFC 5321 §2.4: commands are ASCII (RFC 6531 lets addresses be UTF-8); NUL is never valid,
        // and the package would cut the line at it and go on with what came before.
        if (bytes.AsSpan().Contains((byte)0)) return SmtpReply.NulInCommand;
        var ascii = Ascii.IsValid(bytes);
        if (!ascii && !Utf8.IsValid(bytes)) return SmtpReply.NotUtf8;
        switch (VerbOf(text))
        {
            // RFC 5321 §4.1.1.1: the HELO/EHLO argument is a domain or address literal in ASCII; an
            // internationalized name goes as A-labels, SMTPUTF8 or not (RFC 6531 §3.7.1).
            case "EHLO" or "HELO" when !ascii:
                return SmtpReply.NonAsciiHelo;
            case "MAIL":
                if (HasRepeatedParameter(text)) return SmtpReply.DuplicateParameter;
                var utf8 = HasParameter(text, "SMTPUTF8");
                // RFC 6531 §3.4: a UTF-8 address needs the SMTPUTF8 parameter; RFC 6531 §3.5 gives 553 5.6.7.
                if (!ascii && !utf8) return SmtpReply.NonAsciiAddress;
                utf8Transaction = utf8;
                return null;
            case "RCPT" when !ascii && !utf8Transaction:
                return SmtpReply.NonAsciiAddress;
            default:
                return null;
        }
    }

    public static string VerbOf(ReadOnlySequence<byte> line) => VerbOf(Encoding.Latin1.GetString(line.Length > 16 ? line.Slice(0, 16) : line));

    private static string VerbOf(string text)
    {
        var end = text.IndexOfAny([' ', '\r', '\n']);
        return (end < 0 ? text : text[..end]).ToUpperInvariant();
    }

    private static bool HasParameter(string text, string keyword)
    {
        var close = text.IndexOf('>');
        if (close < 0) return false;
        foreach (var parameter in text[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = parameter.IndexOf('=');
            if (string.Equals(equals < 0 ? parameter : parameter[..equals], keyword, StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }

    /// <summary>RFC 5321 §4.1.2 esmtp-param: a keyword given twice has no single meaning, so the line is a syntax error (501 5.5.4).</summary>
    private static bool HasRepeatedParameter(string text)
    {
        var close = text.IndexOf('>');
        if (close < 0) return false;
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var parameter in text[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = parameter.IndexOf('=');
            if (!seen.Add(equals < 0 ? parameter : parameter[..equals])) return true;
        }
        return false;
    }
}
