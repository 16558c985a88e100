namespace EmailApi.WebConsole.Pages;

public sealed class DeniedModel : ConsolePage
{
    public void OnGet() => Response.StatusCode = StatusCodes.Status403Forbidden;
}
