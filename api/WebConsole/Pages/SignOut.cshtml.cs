using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace EmailApi.WebConsole.Pages;

public sealed class SignOutModel(ConsoleSessions sessions) : ConsolePage
{
    public IActionResult OnGet() => Redirect(ConsoleRegistration.Prefix);

    public async Task<IActionResult> OnPostAsync()
    {
        var session = await HttpContext.AuthenticateAsync(ConsoleRegistration.Scheme);
        sessions.End(User.FindFirst(ConsoleUser.SessionClaim)?.Value, session.Properties?.ExpiresUtc);
        await HttpContext.SignOutAsync(ConsoleRegistration.Scheme);
        return Redirect($"{ConsoleRegistration.Prefix}/signin");
    }
}
