using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace EmailApi.WebConsole.Pages;

public sealed class SignOutModel(ConsoleSessions sessions) : ConsolePage
{
    public IActionResult OnGet() => Redirect(ConsoleRegistration.Prefix);

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var session = await HttpContext.AuthenticateAsync(ConsoleRegistration.Scheme);
        await sessions.EndAsync(User.FindFirst(ConsoleUser.SessionClaim)?.Value, session.Properties?.ExpiresUtc, ct);
        await HttpContext.SignOutAsync(ConsoleRegistration.Scheme);
        return Redirect($"{ConsoleRegistration.Prefix}/signin");
    }
}
