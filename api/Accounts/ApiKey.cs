using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace EmailApi.Accounts;

/// <summary>
/// API keys: 256 random bits behind the readable prefix <c>ea_</c>. Only the SHA-256 of a key is
/// stored. A key is found by its id (the first 8 bytes of its hash, in hex) and then checked by a
/// constant-time comparison of the whole hash, so timing says nothing about a near miss.
/// </summary>
public static class ApiKey
{
    public const string Prefix = "ea_";

    public static string Generate() => Prefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    public static string IdOf(byte[] hash) => Convert.ToHexStringLower(hash.AsSpan(0, 8));

    public static bool Matches(byte[] presentedHash, byte[] storedHash) =>
        CryptographicOperations.FixedTimeEquals(presentedHash, storedHash);
}
