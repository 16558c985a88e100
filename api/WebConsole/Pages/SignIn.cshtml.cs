using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace EmailApi.WebConsole.Pages;

public sealed class SignInModel(ConsoleSessions sessions, Microsoft.Extensions.Options.IOptions<SmtpBridge.SmtpOptions> smtp) : ConsolePage
{
    [BindProperty(SupportsGet = true)] public string? ReturnUrl { get; set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(string? key, CancellationToken ct)
    {
        switch (await sessions.SignInAsync(key, HttpContext.Connection.RemoteIpAddress, ct))
        {
            case ConsoleSessions.SignInResult.Success success:
                await HttpContext.SignInAsync(ConsoleRegistration.Scheme, success.Principal, success.Properties);
                // Only back into the console: an open redirect would make this page a phishing tool.
                return LocalRedirect(ReturnUrl is { } url && Url.IsLocalUrl(url) && url.StartsWith(ConsoleRegistration.Prefix, StringComparison.Ordinal)
                    ? url : ConsoleRegistration.Prefix);
            case ConsoleSessions.SignInResult.Refused refused:
                Error(refused.Reason);
                Response.StatusCode = StatusCodes.Status401Unauthorized;
                return Page();
            default:
                Error("Too many failed sign-ins from your address; try again later.");
                Response.StatusCode = StatusCodes.Status429TooManyRequests;
                Response.Headers.RetryAfter = ((int)Math.Ceiling(smtp.Value.AuthLockout.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Page();
        }
    }
}
