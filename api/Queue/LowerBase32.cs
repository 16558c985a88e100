namespace EmailApi.Queue;

/// <summary>
/// RFC 4648 §6 base32 in lower case, without padding: the spelling of the tokens that travel in
/// address local parts (VERP return paths, mailto: unsubscribe), which mail systems may re-case.
/// Decoding ignores case and refuses non-zero padding bits, so each token has one spelling only.
/// </summary>
public static class LowerBase32
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";

    public static int EncodedLength(int bytes) => (bytes * 8 + 4) / 5;

    public static string Encode(ReadOnlySpan<byte> data)
    {
        var chars = new char[EncodedLength(data.Length)];
        int buffer = 0, bits = 0, n = 0;
        foreach (var b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                chars[n++] = Alphabet[(buffer >> (bits - 5)) & 31];
                bits -= 5;
            }
        }
        if (bits > 0) chars[n++] = Alphabet[(buffer << (5 - bits)) & 31];
        return new string(chars, 0, n);
    }

    /// <summary>Fills <paramref name="destination"/> exactly; false for any other length, a foreign character or padding bits set.</summary>
    public static bool TryDecode(string text, Span<byte> destination)
    {
        int buffer = 0, bits = 0, n = 0;
        foreach (var c in text)
        {
            var value = Alphabet.IndexOf(char.ToLowerInvariant(c));
            if (value < 0) return false;
            buffer = (buffer << 5) | value;
            bits += 5;
            if (bits >= 8)
            {
                if (n == destination.Length) return false;
                destination[n++] = (byte)(buffer >> (bits - 8));
                bits -= 8;
            }
        }
        return n == destination.Length && (buffer & ((1 << bits) - 1)) == 0;
    }
}
