using System.Text;

namespace EmailApi.Queue;

/// <summary>
/// How many relays a message has passed, counted as Postfix's cleanup does for
/// <c>hopcount_limit</c>: the <c>Received:</c> fields of the top-level header (RFC 5321 §4.4: every
/// relay prepends one; §6.3: a relay should detect loops by counting them). Both the doors and the
/// sender read it, so it lives with the stored message rather than in either.
/// </summary>
public static class HopCount
{
    /// <summary>The number of Received fields in the header section of raw MIME (up to the first empty line).</summary>
    public static int Of(ReadOnlySpan<byte> raw)
    {
        var hops = 0;
        var lineStart = 0;
        while (lineStart < raw.Length)
        {
            var end = raw[lineStart..].IndexOf((byte)'\n');
            var line = end < 0 ? raw[lineStart..] : raw.Slice(lineStart, end);
            if (line.Length > 0 && line[^1] == '\r') line = line[..^1];
            if (line.IsEmpty) break;   // the end of the header section
            // Folded continuation lines start with white space and never name a field.
            if (line.Length > 8 && Ascii.EqualsIgnoreCase(line[..8], "Received"u8) && IsColonAfterWhiteSpace(line[8..])) hops++;
            if (end < 0) break;
            lineStart += end + 1;
        }
        return hops;
    }

    // RFC 5322 §4.5 (obsolete syntax) allows white space between a field name and its colon.
    private static bool IsColonAfterWhiteSpace(ReadOnlySpan<byte> rest)
    {
        var i = 0;
        while (i < rest.Length && rest[i] is (byte)' ' or (byte)'\t') i++;
        return i < rest.Length && rest[i] == (byte)':';
    }
}
