using System.Text;

namespace EmailApi.SmtpBridge.Messages;

/// <summary>
/// A byte-level look at a message's header block before any MIME parser sees it, shared by the SMTP
/// door and <c>POST /v1/send/raw</c>. It bounds what one message can cost: MimeKit's parsing and
/// folding, DKIM canonicalisation and the relay's rewrite all grow faster than linearly with one huge
/// (folded) header, so a block over <see cref="MaxBlockBytes"/> or one field over
/// <see cref="MaxFieldBytes"/> is refused here, in one pass over at most the block's bytes. It also
/// refuses what would make the next server read a different header than our checks did: a bare CR
/// (a hidden line break for some servers, a second From for instance), NUL, a mix of CRLF and bare
/// LF endings, and a line that is neither a field nor a continuation (RFC 5322 §2.2, §3.2.2).
/// </summary>
public static class HeaderBlock
{
    /// <summary>The whole header block, as Postfix's <c>header_size_limit</c> (102400).</summary>
    public const int MaxBlockBytes = 102_400;

    /// <summary>One field with its continuation lines (RFC 5322 §2.2.3 unfolding), name included.</summary>
    public const int MaxFieldBytes = 8_192;

    private const int MaxNameInReply = 76;

    public static HeaderVerdict Check(ReadOnlySpan<byte> message)
    {
        string? field = null;
        var fieldBytes = 0;
        int crlf = 0, lf = 0;
        var position = 0;
        var lineNumber = 0;
        while (position < message.Length)
        {
            lineNumber++;
            var newline = message[position..].IndexOf((byte)'\n');
            var end = newline < 0 ? message.Length : position + newline;
            var line = message[position..end];
            if (newline >= 0)
            {
                if (line.Length > 0 && line[^1] == '\r')
                {
                    line = line[..^1];
                    crlf++;
                }
                else lf++;
            }
            if (crlf > 0 && lf > 0) return new HeaderVerdict.MixedLineEndings();
            if (line.IsEmpty) return newline < 0 ? new HeaderVerdict.Passed(end) : new HeaderVerdict.Passed(end + 1);

            if (line[0] is (byte)' ' or (byte)'\t')
            {
                // A continuation line (folding whitespace) belongs to the field above it.
                if (field is null) return new HeaderVerdict.Malformed("The header block starts with a continuation line.");
                fieldBytes += line.Length;
            }
            else
            {
                var colon = line.IndexOf((byte)':');
                var name = colon < 0 ? line : line[..colon].TrimEnd(" \t"u8);   // RFC 5322 §4.5.3: obsolete WSP before the colon
                if (colon < 0 || name.IsEmpty || name.ContainsAnyExceptInRange((byte)'!', (byte)'~'))
                    return new HeaderVerdict.Malformed($"Line {lineNumber} of the header block is not a header field ('name: value').");
                field = Encoding.ASCII.GetString(name.Length > MaxNameInReply ? name[..MaxNameInReply] : name);
                fieldBytes = line.Length;
            }
            if (line.IndexOf((byte)'\r') >= 0) return new HeaderVerdict.BareCr(field);
            if (line.IndexOf((byte)0) >= 0) return new HeaderVerdict.Nul(field);
            if (fieldBytes > MaxFieldBytes) return new HeaderVerdict.FieldTooLong(field, fieldBytes);
            if (end > MaxBlockBytes) return new HeaderVerdict.BlockTooLarge(end);
            position = newline < 0 ? message.Length : end + 1;
        }
        return new HeaderVerdict.Passed(message.Length);   // a message of headers only (RFC 5322 §3.5: the body is optional)
    }

    /// <summary>
    /// The message without any <paramref name="name"/> field whose value is blank (continuation lines
    /// included); the same array when there is none. For a checked message (<see cref="Check"/> passed).
    /// </summary>
    public static byte[] WithoutBlankField(byte[] message, string name)
    {
        var keep = new List<(int Start, int End)>();
        int position = 0, fieldStart = 0;
        var dropping = false;
        var dropped = false;
        while (position < message.Length)
        {
            var newline = message.AsSpan(position).IndexOf((byte)'\n');
            var end = newline < 0 ? message.Length : position + newline + 1;
            var line = message.AsSpan(position, end - position).TrimEnd("\r\n"u8);
            var continuation = line.Length > 0 && line[0] is (byte)' ' or (byte)'\t';
            if (!continuation)
            {
                if (!dropping) keep.Add((fieldStart, position));
                fieldStart = position;
                dropping = false;
                if (line.IsEmpty) break;   // the body follows and is kept whole
                var colon = line.IndexOf((byte)':');
                dropping = colon > 0 && Ascii.EqualsIgnoreCase(line[..colon].TrimEnd(" \t"u8), Encoding.ASCII.GetBytes(name))
                    && IsBlank(message.AsSpan(position + colon + 1), out _);
                dropped |= dropping;
            }
            position = end;
        }
        if (!dropped) return message;
        if (!dropping) keep.Add((fieldStart, message.Length));
        var result = new byte[keep.Sum(r => r.End - r.Start)];
        var at = 0;
        foreach (var (start, stop) in keep)
        {
            message.AsSpan(start, stop - start).CopyTo(result.AsSpan(at));
            at += stop - start;
        }
        return result;
    }

    // Blank up to the next line that starts a field (or the end of the block): only spaces, tabs and line breaks.
    private static bool IsBlank(ReadOnlySpan<byte> value, out int length)
    {
        length = 0;
        while (length < value.Length)
        {
            var b = value[length];
            if (b == '\n' && (length + 1 == value.Length || value[length + 1] is not ((byte)' ' or (byte)'\t'))) return true;
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')) return false;
            length++;
        }
        return true;
    }
}

/// <summary>What <see cref="HeaderBlock.Check"/> found; each door words it its own way (HTTP 400, SMTP 5xx).</summary>
public abstract record HeaderVerdict
{
    private HeaderVerdict() { }

    /// <summary>The block is acceptable; the body starts at <paramref name="BodyStart"/>.</summary>
    public sealed record Passed(int BodyStart) : HeaderVerdict;

    public sealed record BlockTooLarge(int AtLeastBytes) : HeaderVerdict;

    public sealed record FieldTooLong(string Field, int AtLeastBytes) : HeaderVerdict;

    /// <summary>A CR not followed by LF, in the field named (or before the first field).</summary>
    public sealed record BareCr(string? Field) : HeaderVerdict;

    public sealed record Nul(string? Field) : HeaderVerdict;

    /// <summary>Some lines end in CRLF and others in a bare LF: a sign of injected lines.</summary>
    public sealed record MixedLineEndings : HeaderVerdict;

    public sealed record Malformed(string Reason) : HeaderVerdict;
}
