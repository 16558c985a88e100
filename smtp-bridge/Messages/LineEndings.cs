using System.Buffers;

namespace EmailApi.SmtpBridge.Messages;

/// <summary>
/// Finds a CR or LF that is not part of a CRLF pair. RFC 5321 §2.3.8 allows them only together;
/// a lone one is how SMTP smuggling hides a second message behind "\n.\r\n" or "\r\n.\n" for a
/// lenient next hop, so such a message is refused rather than relayed.
/// </summary>
public static class LineEndings
{
    /// <summary>
    /// True when the bytes can go into DATA as they are: every CR and LF paired as CRLF and no NUL
    /// (RFC 5321 §2.3.8, §4.5.2). The relay's last guard: whatever door a message came through,
    /// a lone CR ("\r.\r") or NUL is never written to the next server.
    /// </summary>
    public static bool IsWireSafe(ReadOnlySpan<byte> data)
    {
        if (data.IndexOf((byte)0) >= 0) return false;
        for (var i = data.IndexOfAny((byte)'\r', (byte)'\n'); i >= 0; i = data.IndexOfAny((byte)'\r', (byte)'\n'))
        {
            // Each CRLF pair is stepped over whole, so an LF found first is a bare one.
            if (data[i] == '\n' || i + 1 == data.Length || data[i + 1] != '\n') return false;
            data = data[(i + 2)..];
        }
        return true;
    }

    internal static bool HasBareCrOrLf(ReadOnlySequence<byte> data)
    {
        var previous = (byte)0;
        foreach (var segment in data)
        {
            var span = segment.Span;
            var i = 0;
            while (i < span.Length)
            {
                if (previous == '\r' && span[i] != '\n') return true;   // CR not followed by LF
                var next = span[i..].IndexOfAny((byte)'\r', (byte)'\n');
                if (next < 0)
                {
                    previous = span[^1];
                    break;
                }
                i += next;
                if (span[i] == '\n' && (i > 0 ? span[i - 1] : previous) != '\r') return true;   // LF without CR
                previous = span[i];
                i++;
            }
        }
        return previous == '\r';
    }
}
