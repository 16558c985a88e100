using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using EmailApi.Accounts;
using EmailApi.SmtpBridge;
using EmailApi.SmtpBridge.Protocol;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;

namespace EmailApi.WebConsole;

/// <summary>
/// Sign-in with an API key and the life of the session cookie that follows. A wrong key is answered
/// only after the same growing delay as a failed SMTP AUTH, and an address that keeps failing is
/// locked out for a while (<see cref="AuthThrottle"/> with the <c>Smtp:</c> AUTH settings). The cookie
/// holds no key, only the key's id: every request checks that the key is still live and its account
/// enabled, so revoking the key or disabling the account ends its sessions. Signing out ends the
/// session on this node at once, even for a copy of the cookie.
/// </summary>
public sealed class ConsoleSessions(ApiKeyAuthenticator keys, IAccountStore accounts, IOptions<SmtpOptions> smtp,
    IOptions<ConsoleOptions> options, TimeProvider clock)
{
    private readonly AuthThrottle _throttle = AuthThrottle.From(smtp.Value, clock);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _ended = new();

    public abstract record SignInResult
    {
        public sealed record Success(System.Security.Claims.ClaimsPrincipal Principal, AuthenticationProperties Properties) : SignInResult;
        public sealed record Refused(string Reason) : SignInResult;
        public sealed record LockedOut : SignInResult;
    }

    public async Task<SignInResult> SignInAsync(string? presentedKey, IPAddress? remote, CancellationToken ct)
    {
        var address = remote ?? IPAddress.None;
        if (_throttle.IsLockedOut(address)) return new SignInResult.LockedOut();
        var key = await keys.AuthenticateAsync(presentedKey?.Trim() ?? "", ct);
        if (key is null || !(key.Scopes.Contains(Scopes.Read) || key.Scopes.Contains(Scopes.Admin)))
        {
            // A valid key without the read scope counts as a failure too: the console shows nothing to it.
            var delay = _throttle.RecordFailure(address);
            if (delay is null) return new SignInResult.LockedOut();
            await Task.Delay(delay.Value, clock, ct);
            return new SignInResult.Refused(key is null
                ? "That key was not accepted."
                : "That key lacks the read scope the console needs; sign in with a key that has read (or admin).");
        }
        _throttle.RecordSuccess(address);
        var account = await accounts.FindAccountAsync(key.AccountId, ct);
        var now = clock.GetUtcNow();
        var principal = ConsoleUser.Create(key.AccountId, key.AccountId, account?.Name ?? key.AccountId, key.Id, key.Scopes,
            Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
        return new SignInResult.Success(principal, new AuthenticationProperties
        {
            IssuedUtc = now,
            ExpiresUtc = now + options.Value.SessionLifetime,
            IsPersistent = false,
            AllowRefresh = false,
        });
    }

    public void End(string? sessionId, DateTimeOffset? expires)
    {
        if (sessionId is null) return;
        var now = clock.GetUtcNow();
        if (_ended.Count > 100_000)
            foreach (var (id, until) in _ended) if (until <= now) _ended.TryRemove(id, out _);
        _ended[sessionId] = expires ?? now + options.Value.SessionLifetime;
    }

    /// <summary>Runs on every request with a session cookie.</summary>
    public async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var user = context.Principal;
        var sessionId = user?.FindFirst(ConsoleUser.SessionClaim)?.Value;
        var keyId = user?.FindFirst(ApiKeyAuthenticationHandler.KeyClaim)?.Value;
        if (sessionId is null || keyId is null || _ended.ContainsKey(sessionId)
            || await keys.StillValidAsync(keyId, context.HttpContext.RequestAborted) is null)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(ConsoleRegistration.Scheme);
        }
    }
}
