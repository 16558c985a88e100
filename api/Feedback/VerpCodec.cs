using System.Buffers.Binary;
using System.Security.Cryptography;
using EmailApi.Queue;

namespace EmailApi.Feedback;

/// <summary>
/// Makes and reads the VERP return path <c>b+TOKEN@&lt;label&gt;.&lt;domain&gt;</c>: TOKEN carries the
/// message id and the recipient row, followed by a truncated HMAC-SHA256 under a key every node
/// shares, so a report can only ever touch a recipient this relay itself sent to.
/// </summary>
/// <remarks>
/// The token is base32 in lower case: receiving MTAs and bounce generators may change the case of
/// a local part (RFC 5321 §2.4 lets them treat it as case-sensitive, but many don't), and base32
/// reads the same either way. 16 bytes of id + 8 of recipient + 10 of MAC = 34 bytes = 55
/// characters, so <c>b+TOKEN</c> stays inside the 64-octet local part of RFC 5321 §4.5.3.1.1.
/// An 80-bit MAC leaves a forger one chance in 2^80 per guess; the listener never says whether a
/// token was valid, so guesses cannot be tested online any faster than reports are processed.
/// </remarks>
public sealed class VerpCodec
{
    public const string BouncePrefix = "b+";
    public const string UnsubscribePrefix = "unsub+";
    private const int MacBytes = 10;
    private const int PayloadBytes = 16 + 8;
    private readonly byte[] _key;

    public VerpCodec(byte[] key)
    {
        // RFC 2104 §3: a key shorter than the hash output weakens the MAC.
        if (key.Length < 32) throw new ArgumentException("The VERP key must be at least 32 bytes.", nameof(key));
        _key = key.ToArray();
    }

    public static int TokenLength => LowerBase32.EncodedLength(PayloadBytes + MacBytes);

    public string Encode(ReturnPathToken token)
    {
        Span<byte> data = stackalloc byte[PayloadBytes + MacBytes];
        token.MessageId.Value.TryWriteBytes(data[..16], bigEndian: true, out _);
        BinaryPrimitives.WriteInt64BigEndian(data[16..PayloadBytes], token.RecipientId);
        Mac(data[..PayloadBytes], data[PayloadBytes..]);
        return LowerBase32.Encode(data);
    }

    /// <summary>The envelope sender for <paramref name="token"/> under <paramref name="returnPathDomain"/> (e.g. <c>bounces.example.com</c>).</summary>
    public string ReturnPath(ReturnPathToken token, string returnPathDomain) => $"{BouncePrefix}{Encode(token)}@{returnPathDomain}";

    public TokenCheck Decode(string text)
    {
        if (text.Length != TokenLength) return new TokenCheck.Malformed();
        Span<byte> data = stackalloc byte[PayloadBytes + MacBytes];
        if (!LowerBase32.TryDecode(text, data)) return new TokenCheck.Malformed();
        Span<byte> expected = stackalloc byte[MacBytes];
        Mac(data[..PayloadBytes], expected);
        // Constant time, so response timing cannot be used to guess a MAC byte by byte.
        if (!CryptographicOperations.FixedTimeEquals(expected, data[PayloadBytes..])) return new TokenCheck.Forged();
        var id = new MessageId(new Guid(data[..16], bigEndian: true));
        return new TokenCheck.Valid(new ReturnPathToken(id, BinaryPrimitives.ReadInt64BigEndian(data[16..PayloadBytes])));
    }

    /// <summary>The token in a local part <c>b+TOKEN</c> or <c>unsub+TOKEN</c> (case-insensitive prefix), or null.</summary>
    public static string? TokenOf(string localPart, string prefix) =>
        localPart.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && localPart.Length > prefix.Length
            ? localPart[prefix.Length..].ToLowerInvariant()
            : null;

    private void Mac(ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        Span<byte> full = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_key, payload, full);
        full[..MacBytes].CopyTo(destination);
    }
}
