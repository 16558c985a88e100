using EmailApi.SmtpBridge.Messages;
using MimeKit;

namespace EmailApi.Sending;

/// <summary>
/// What <c>POST /v1/send/raw</c> refuses in a client's MIME, as validation problems keyed by the
/// header (or <c>$</c> for the message): first on the bytes, before MimeKit spends anything on them,
/// then on the parsed structure. A message that passes has a bounded header block, CRLF or LF line
/// endings only, no NUL, and a MIME tree that every parser reads the same way.
/// </summary>
internal static class RawMimeChecks
{
    /// <summary>As Postfix's <c>mime_nesting_limit</c>; MimeKit's own default (1024) leaves the stack at risk.</summary>
    public const int MaxNesting = 100;

    public static readonly ParserOptions Parsing = CreateParsing();

    public static Dictionary<string, string[]>? Bytes(byte[] body)
    {
        var problem = HeaderBlock.Check(body) switch
        {
            HeaderVerdict.Passed passed => BodyProblem(body.AsSpan(passed.BodyStart)),
            HeaderVerdict.BlockTooLarge => ("headers", $"The header block is over {HeaderBlock.MaxBlockBytes} bytes."),
            HeaderVerdict.FieldTooLong f => (f.Field, $"The {f.Field} header is over {HeaderBlock.MaxFieldBytes} bytes (with its continuation lines)."),
            HeaderVerdict.BareCr f => (f.Field ?? "headers", "A CR that is not followed by LF is in the header; lines end with CRLF (RFC 5322 §2.2)."),
            HeaderVerdict.Nul f => (f.Field ?? "headers", "A NUL character is in the header."),
            HeaderVerdict.MixedLineEndings => ("headers", "The header mixes CRLF and bare LF line endings."),
            HeaderVerdict.Malformed m => ("headers", m.Reason),
            var other => throw new System.Diagnostics.UnreachableException(other.ToString()),
        };
        return problem is var (field, message) ? new Dictionary<string, string[]> { [field] = [message] } : null;
    }

    public static Dictionary<string, string[]>? Structure(MimeMessage message, byte[] body)
    {
        var problem = Walk(message.Body, 1, new Lazy<HashSet<string>>(() => CloseDelimiters(body)));
        return problem is null ? null : new Dictionary<string, string[]> { ["$"] = [problem] };
    }

    // A bare LF body is made CRLF on the way out; a bare CR or NUL would reach the next server as it is
    // ("\r.\r" ends the data for some of them), so it is refused (RFC 5321 §2.3.8, RFC 5322 §2.3).
    private static (string, string)? BodyProblem(ReadOnlySpan<byte> body)
    {
        if (body.IndexOf((byte)0) >= 0) return ("$", "The message contains NUL characters.");
        for (var at = body.IndexOf((byte)'\r'); at >= 0; at = body.IndexOf((byte)'\r'))
        {
            if (at + 1 == body.Length || body[at + 1] != '\n') return ("$", "The message contains a CR that is not followed by LF; lines end with CRLF.");
            body = body[(at + 2)..];
        }
        return null;
    }

    private static string? Walk(MimeEntity? entity, int depth, Lazy<HashSet<string>> closed)
    {
        switch (entity)
        {
            case null:
                return null;
            case Multipart multipart when depth > MaxNesting:
            case MessagePart when depth > MaxNesting:
                return $"The MIME parts are nested deeper than {MaxNesting}.";
            case Multipart multipart:
                // MimeKit reads an unterminated multipart to the end; another parser may not, and see other parts.
                if (multipart.Boundary is not { } boundary || !closed.Value.Contains(boundary)) return $"A {multipart.ContentType.MimeType} part has no closing boundary (RFC 2046 §5.1.1).";
                foreach (var child in multipart)
                    if (Walk(child, depth + 1, closed) is { } problem) return problem;
                return null;
            case MessagePart { Message: var inner }:
                return Walk(inner?.Body, depth + 1, closed);
            case MimePart part when part.ContentType.MediaType.Equals("multipart", StringComparison.OrdinalIgnoreCase):
                // The parser stopped descending here: MaxNesting was reached.
                return $"The MIME parts are nested deeper than {MaxNesting}.";
            default:
                return null;
        }
    }

    /// <summary>The boundaries of every close-delimiter line (<c>--boundary--</c>, RFC 2046 §5.1.1), in one pass.</summary>
    private static HashSet<string> CloseDelimiters(byte[] body)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        var rest = body.AsSpan();
        while (!rest.IsEmpty)
        {
            var newline = rest.IndexOf((byte)'\n');
            var line = (newline < 0 ? rest : rest[..newline]).TrimEnd("\r \t"u8);
            if (line.Length > 4 && line.StartsWith("--"u8) && line.EndsWith("--"u8))
                found.Add(System.Text.Encoding.Latin1.GetString(line[2..^2]));
            rest = newline < 0 ? [] : rest[(newline + 1)..];
        }
        return found;
    }

    private static ParserOptions CreateParsing()
    {
        var options = ParserOptions.Default.Clone();
        options.MaxMimeDepth = MaxNesting + 1;
        return options;
    }
}
