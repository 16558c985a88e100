using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace EmailApi.SmtpBridge.Protocol;

/// <summary>
/// Looks at one complete input line before the SmtpServer package parses it, for the inputs the
/// package does not answer at all but drops the connection on: a repeated MAIL parameter (it
/// builds a dictionary and throws) and an AUTH response that is not base64 (it decodes and
/// throws). Everything else is left to the package's parser.
/// </summary>
internal static class CommandLineCheck
{
    /// <summary>The reply that refuses <paramref name="line"/> (without its CRLF), or null when the package may have it.</summary>
    public static SmtpReply? Refusal(ReadOnlySequence<byte> line, bool authResponse)
    {
        var text = Encoding.Latin1.GetString(line).TrimEnd('\r');
        if (authResponse)
        {
            // RFC 4954 §4: "*" cancels the exchange and MUST get 501; anything else must be base64.
            if (text == "*") return SmtpReply.AuthCancelled;
            return text.Length == 0 || Base64.IsValid(text) ? null : SmtpReply.InvalidBase64;
        }
        return VerbOf(text) == "MAIL" && HasRepeatedParameter(text) ? SmtpReply.DuplicateParameter : null;
    }

    public static string VerbOf(ReadOnlySequence<byte> line) => VerbOf(Encoding.Latin1.GetString(line.Length > 16 ? line.Slice(0, 16) : line));

    private static string VerbOf(string text)
    {
        var end = text.IndexOfAny([' ', '\r', '\n']);
        return (end < 0 ? text : text[..end]).ToUpperInvariant();
    }

    /// <summary>RFC 5321 §4.1.2 esmtp-param: each keyword once (RFC 1869 §6: a repeated one is a syntax error, 501).</summary>
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
