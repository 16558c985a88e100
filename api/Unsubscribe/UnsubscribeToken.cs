using System.Security.Cryptography;
using System.Text;
using EmailApi.Queue;

namespace EmailApi.Unsubscribe;

/// <summary>
/// The token in an unsubscribe link: the message id (16 bytes) followed by the first 16 bytes of
/// HMAC-SHA256 over account, message and recipient, written in lower-case base32 (RFC 4648 §6,
/// no padding; 52 characters). It names the message so the recipient can be found without a
/// table of tokens, and the MAC makes it unforgeable: message ids are guessable (time-ordered)
/// but a token for one cannot be made without the key, so the links cannot be enumerated.
/// Base32 rather than base64 because the token also travels as an address local part
/// (<c>unsub+TOKEN@host</c>: 58 characters, inside RFC 5321 §4.5.3.1.1's 64), where case may not
/// survive.
/// </summary>
public static class UnsubscribeToken
{
    private const int IdBytes = 16;
    private const int MacBytes = 16;
    public const int Length = (IdBytes + MacBytes) * 8 / 5 + 1;   // 52 characters for 32 bytes

    public static string Create(byte[] key, string accountId, MessageId message, string recipient)
    {
        var bytes = new byte[IdBytes + MacBytes];
        message.Value.TryWriteBytes(bytes.AsSpan(0, IdBytes), bigEndian: true, out _);
        Mac(key, accountId, message, recipient).CopyTo(bytes.AsSpan(IdBytes));
        return LowerBase32.Encode(bytes);
    }

    /// <summary>The message the token names, or null when it is not a token's shape at all.</summary>
    public static MessageId? MessageOf(string token) =>
        Decode(token) is { } bytes ? new MessageId(new Guid(bytes.AsSpan(0, IdBytes), bigEndian: true)) : null;

    /// <summary>Whether the token was made with <paramref name="key"/> for this account, message and recipient (constant time).</summary>
    public static bool Verify(byte[] key, string token, string accountId, MessageId message, string recipient) =>
        Decode(token) is { } bytes && CryptographicOperations.FixedTimeEquals(bytes.AsSpan(IdBytes), Mac(key, accountId, message, recipient));

    private static byte[] Mac(byte[] key, string accountId, MessageId message, string recipient) =>
        HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"unsubscribe.v1\n{accountId}\n{message}\n{recipient.ToLowerInvariant()}"))[..MacBytes];

    private static byte[]? Decode(string token)
    {
        var bytes = new byte[IdBytes + MacBytes];
        return token.Length == Length && LowerBase32.TryDecode(token, bytes) ? bytes : null;
    }
}
