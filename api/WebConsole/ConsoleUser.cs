using System.Security.Claims;
using EmailApi.Accounts;

namespace EmailApi.WebConsole;

/// <summary>
/// The signed-in person as the console sees them. The session principal carries the same claims the
/// API's key handler makes (<c>account</c>, <c>key</c>, <c>scope</c>), so the API's own handlers run
/// unchanged on it; <c>account</c> is the account shown, which only an admin key can move off its own
/// (<c>home</c>) account.
/// </summary>
public static class ConsoleUser
{
    public const string HomeClaim = "home";
    public const string SessionClaim = "sid";
    public const string AccountNameClaim = "account_name";

    public static bool IsAdmin(this ClaimsPrincipal user) => user.HasClaim(ApiKeyAuthenticationHandler.ScopeClaim, Scopes.Admin);

    public static bool CanSend(this ClaimsPrincipal user) => user.HasClaim(ApiKeyAuthenticationHandler.ScopeClaim, Scopes.Send);

    public static string AccountName(this ClaimsPrincipal user) => user.FindFirstValue(AccountNameClaim) ?? user.AccountId();

    public static bool ViewsOtherAccount(this ClaimsPrincipal user) => user.FindFirstValue(HomeClaim) != user.AccountId();

    public static ClaimsPrincipal Create(string homeAccountId, string shownAccountId, string shownAccountName, string keyId,
        IEnumerable<string> scopes, string sessionId)
    {
        var claims = new List<Claim>
        {
            new(ApiKeyAuthenticationHandler.AccountClaim, shownAccountId),
            new(AccountNameClaim, shownAccountName),
            new(HomeClaim, homeAccountId),
            new(ApiKeyAuthenticationHandler.KeyClaim, keyId),
            new(SessionClaim, sessionId),
        };
        claims.AddRange(scopes.Select(s => new Claim(ApiKeyAuthenticationHandler.ScopeClaim, s)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, ConsoleRegistration.Scheme));
    }

    /// <summary>The same session showing another account (admin only; the caller checks).</summary>
    public static ClaimsPrincipal Showing(this ClaimsPrincipal user, string accountId, string accountName) => Create(
        user.FindFirstValue(HomeClaim)!, accountId, accountName, user.FindFirstValue(ApiKeyAuthenticationHandler.KeyClaim)!,
        user.FindAll(ApiKeyAuthenticationHandler.ScopeClaim).Select(c => c.Value), user.FindFirstValue(SessionClaim)!);
}
