using System.Net;
using System.Security.Cryptography;
using EmailApi.Accounts;
using EmailApi.SmtpBridge;
using EmailApi.SmtpBridge.Protocol;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace EmailApi.WebConsole;

/// <summary>
/// Sign-in with an API key and the life of the session cookie that follows. A wrong key is answered
/// only after the same growing delay as a failed SMTP AUTH, and an address that keeps failing is
/// locked out for a while (<see cref="AuthThrottle"/> with the <c>Smtp:</c> AUTH settings). The cookie
/// holds no key, only the key's id: every request checks that the key is still live and its account
/// enabled, so revoking the key or disabling the account ends its sessions. Signing out ends the
/// session on every node at once, even for a copy of the cookie (the ended session is in the database).
/// </summary>
public sealed class ConsoleSessions(ApiKeyAuthenticator keys, IAccountStore accounts, IConsoleSessionStore store, IDataProtectionProvider protection,
    IOptions<SmtpOptions> smtp, IOptions<ConsoleOptions> options, TimeProvider clock)
{
    /// <summary>How long a value shown once (a new key, a webhook secret) waits for the page after the redirect.</summary>
    public static readonly TimeSpan StashLifetime = TimeSpan.FromMinutes(5);

    private readonly AuthThrottle _throttle = AuthThrottle.From(smtp.Value, clock);
    private readonly IDataProtector _stashProtector = protection.CreateProtector("EmailApi.WebConsole.Stash.v1");

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

    public async Task EndAsync(string? sessionId, DateTimeOffset? expires, CancellationToken ct)
    {
        if (sessionId is null) return;
        await store.EndAsync(sessionId, expires ?? clock.GetUtcNow() + options.Value.SessionLifetime, ct);
    }

    /// <summary>Keeps <paramref name="value"/> (sealed) for this session's next page; returns the id that takes it.</summary>
    public async Task<string> StashAsync(System.Security.Claims.ClaimsPrincipal user, string value, CancellationToken ct)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        await store.StashAsync(id, SessionOf(user), _stashProtector.Protect(value), clock.GetUtcNow() + StashLifetime, ct);
        return id;
    }

    /// <summary>The stashed value, once: null when already taken, expired, or another session's.</summary>
    public async Task<string?> TakeAsync(System.Security.Claims.ClaimsPrincipal user, string id, CancellationToken ct) =>
        await store.TakeAsync(id, SessionOf(user), ct) is { } sealedValue ? _stashProtector.Unprotect(sealedValue) : null;

    private static string SessionOf(System.Security.Claims.ClaimsPrincipal user) =>
        user.FindFirst(ConsoleUser.SessionClaim)?.Value ?? throw new InvalidOperationException("No console session.");

    /// <summary>Runs on every request with a session cookie.</summary>
    public async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var user = context.Principal;
        var sessionId = user?.FindFirst(ConsoleUser.SessionClaim)?.Value;
        var keyId = user?.FindFirst(ApiKeyAuthenticationHandler.KeyClaim)?.Value;
        var ct = context.HttpContext.RequestAborted;
        if (sessionId is null || keyId is null || await store.IsEndedAsync(sessionId, ct) || await keys.StillValidAsync(keyId, ct) is null)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(ConsoleRegistration.Scheme);
        }
    }
}
