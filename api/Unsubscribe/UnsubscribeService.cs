using System.Security.Cryptography;
using EmailApi.Domains;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace EmailApi.Unsubscribe;

/// <summary>
/// One-click unsubscribe (RFC 8058, RFC 2369). Links carry a <see cref="UnsubscribeToken"/> made
/// with one HMAC key shared by every node: 32 random bytes kept in the database
/// (<c>service_secrets</c>), sealed with Data Protection like the DKIM keys, created by whichever
/// node needs it first. <see cref="UnsubscribeAsync"/> is the one way in for every channel: the
/// <c>/u/</c> page's POST and mail to <c>unsub+TOKEN@</c> (the inbound listener calls it with the
/// local part's token). A token that does not verify is <see cref="UnsubscribeOutcome.NotFound"/>,
/// whatever was wrong with it, so a caller learns nothing from guessing.
/// </summary>
public sealed class UnsubscribeService(IUnsubscribeStore store, IDataProtectionProvider protection, IOptions<PublicUrlOptions> http,
    IOptions<DomainsOptions> domains, TimeProvider clock)
{
    private const string SecretName = "unsubscribe-token-key";
    private readonly IDataProtector _protector = protection.CreateProtector("EmailApi.Unsubscribe.TokenKey.v1");
    private readonly SemaphoreSlim _loading = new(1, 1);
    private byte[]? _key;

    /// <summary>The link maker, or null when <c>Http:PublicBaseUrl</c> is not set (no link can be made).</summary>
    public async Task<UnsubscribeLinks?> LinksAsync(CancellationToken ct)
    {
        if (http.Value.Base is not { } publicBase) return null;
        // Only an inbound host named on purpose: without Inbound:HostName no listener is known to take the mail.
        var host = domains.Value.InboundHostName is { Length: > 0 } inbound ? inbound.TrimEnd('.').ToLowerInvariant() : null;
        return new UnsubscribeLinks(await KeyAsync(ct), publicBase, host);
    }

    /// <summary>The recipient a token names, without changing anything (the confirmation page).</summary>
    public async Task<UnsubscribeTarget?> FindAsync(string token, CancellationToken ct)
    {
        if (UnsubscribeToken.MessageOf(token) is not { } message) return null;
        if (await store.FindAsync(message.ToString(), ct) is not { } target) return null;
        return UnsubscribeToken.Verify(await KeyAsync(ct), token, target.AccountId, message, target.Address) ? target : null;
    }

    /// <summary>
    /// Suppresses the recipient the token names for its account and logs an <c>unsubscribed</c> event.
    /// <paramref name="via"/> says how it came (<c>https</c>, <c>mailto</c>) and goes into the event's detail.
    /// </summary>
    public async Task<UnsubscribeOutcome> UnsubscribeAsync(string token, string via, CancellationToken ct)
    {
        if (await FindAsync(token, ct) is not { } target) return new UnsubscribeOutcome.NotFound();
        var masked = Mask(target.Address);
        return await store.SuppressAsync(target, via, clock.GetUtcNow(), ct)
            ? new UnsubscribeOutcome.Unsubscribed(masked)
            : new UnsubscribeOutcome.AlreadySuppressed(masked);
    }

    /// <summary><c>j***@example.com</c>: enough for a person to recognise their address, not enough to harvest one.</summary>
    public static string Mask(string address)
    {
        var at = address.LastIndexOf('@');
        return at <= 0 ? "***" : $"{address[0]}***{address[at..]}";
    }

    private async Task<byte[]> KeyAsync(CancellationToken ct)
    {
        if (_key is { } key) return key;
        await _loading.WaitAsync(ct);
        try
        {
            if (_key is null)
            {
                var candidate = _protector.Protect(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
                var stored = await store.SecretAsync(SecretName, candidate, clock.GetUtcNow(), ct);
                _key = Convert.FromBase64String(_protector.Unprotect(stored));
            }
            return _key;
        }
        finally
        {
            _loading.Release();
        }
    }
}
