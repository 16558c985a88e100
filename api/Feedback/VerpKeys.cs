using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace EmailApi.Feedback;

/// <summary>
/// The <see cref="VerpCodec"/> every node shares: its 256-bit key is made once, sealed with Data
/// Protection (whose key ring the nodes share, as for DKIM keys) and kept in the database; each
/// process reads it once. A failure to read is the database's trouble and propagates (delivery
/// defers), never a silent fallback to a key of this node's own.
/// </summary>
public sealed class VerpKeys(IFeedbackStore store, IDataProtectionProvider protection, TimeProvider clock)
{
    private const string Purpose = "EmailApi.Feedback.VerpKey";
    private const string KeyName = "verp";
    private readonly IDataProtector _protector = protection.CreateProtector(Purpose);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private VerpCodec? _codec;

    public async Task<VerpCodec> CodecAsync(CancellationToken ct)
    {
        if (_codec is { } ready) return ready;
        await _gate.WaitAsync(ct);
        try
        {
            if (_codec is { } raced) return raced;
            var candidate = _protector.Protect(RandomNumberGenerator.GetBytes(32));
            var sealedKey = await store.KeyAsync(KeyName, Convert.ToBase64String(candidate), clock.GetUtcNow(), ct);
            return _codec = new VerpCodec(_protector.Unprotect(Convert.FromBase64String(sealedKey)));
        }
        finally
        {
            _gate.Release();
        }
    }
}
