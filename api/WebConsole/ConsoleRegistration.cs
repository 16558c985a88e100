using EmailApi.Accounts;
using EmailApi.Queue;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;

namespace EmailApi.WebConsole;

/// <summary>
/// The web console (<c>Console:Enabled</c>, the <c>api</c> role): Razor Pages under <c>/console</c>
/// signed in with a session cookie, the message preview and source routes, and the few assets it
/// needs, all served from this binary.
/// </summary>
public static class ConsoleRegistration
{
    public const string Scheme = "Console";
    public const string Policy = "Console";
    public const string CookieName = "emailapi_console";
    public const string Prefix = "/console";

    // No inline script or style anywhere: everything comes from /console/assets.
    private const string PageCsp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; " +
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    private static bool IsEnabled(IConfiguration configuration) => configuration.GetValue($"{ConsoleOptions.Section}:Enabled", true);

    /// <param name="api">This node runs the <c>api</c> role (the console is part of it).</param>
    public static WebApplicationBuilder AddWebConsole(this WebApplicationBuilder builder, bool api)
    {
        var services = builder.Services;
        services.Configure<ConsoleOptions>(builder.Configuration.GetSection(ConsoleOptions.Section));
        if (!api || !IsEnabled(builder.Configuration)) return builder;

        services.AddOptions<SmtpBridge.SmtpOptions>().Bind(builder.Configuration.GetSection(SmtpBridge.SmtpOptions.Section));
        services.AddSingleton<ConsoleSessions>();
        services.AddRazorPages(o =>
        {
            o.RootDirectory = "/WebConsole/Pages";
            o.Conventions.AuthorizeFolder("/", Policy);
            o.Conventions.AllowAnonymousToPage("/SignIn");
            o.Conventions.ConfigureFilter(new AntiforgeryFailurePage());
        });
        // Notices carried over the redirect after a form (Post/Redirect/Get); secrets never go here (ConsoleSessions.StashAsync).
        services.Configure<Microsoft.AspNetCore.Mvc.CookieTempDataProviderOptions>(o =>
        {
            o.Cookie.Name = "emailapi_console_notice";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.Cookie.Path = Prefix;
            o.Cookie.IsEssential = true;
        });
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "emailapi_console_af";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.Cookie.Path = Prefix;
            o.FormFieldName = "__csrf";
        });
        services.AddAuthentication().AddCookie(Scheme, o =>
        {
            o.Cookie.Name = CookieName;
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.Cookie.Path = Prefix;
            o.LoginPath = $"{Prefix}/signin";
            o.AccessDeniedPath = $"{Prefix}/denied";
            o.ReturnUrlParameter = "returnUrl";
            o.SlidingExpiration = false;
            o.Events.OnValidatePrincipal = context => context.HttpContext.RequestServices.GetRequiredService<ConsoleSessions>().ValidateAsync(context);
        });
        services.AddAuthorizationBuilder().AddPolicy(Policy, p => p
            .AddAuthenticationSchemes(Scheme)
            .RequireAuthenticatedUser()
            .RequireAssertion(c => c.User.HasClaim(ApiKeyAuthenticationHandler.ScopeClaim, Scopes.Read)
                                   || c.User.HasClaim(ApiKeyAuthenticationHandler.ScopeClaim, Scopes.Admin)));
        services.AddAuthorizationBuilder().AddPolicy(AdminPolicy, p => p
            .AddAuthenticationSchemes(Scheme)
            .RequireClaim(ApiKeyAuthenticationHandler.ScopeClaim, Scopes.Admin));
        return builder;
    }

    public const string AdminPolicy = "ConsoleAdmin";

    /// <summary>Maps the console on an <c>api</c> node (the caller checks the role).</summary>
    public static WebApplication MapWebConsole(this WebApplication app)
    {
        if (!IsEnabled(app.Configuration)) return app;
        app.Use(SecurityHeaders);
        app.MapGet("/", () => Results.Redirect(Prefix)).ExcludeFromDescription();
        ConsoleAssets.Map(app);
        MessageContentEndpoints.Map(app);
        app.MapRazorPages();
        return app;
    }

    private static Task SecurityHeaders(HttpContext context, RequestDelegate next)
    {
        if (context.Request.Path.StartsWithSegments(Prefix))
        {
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                // The preview route sets its own, stricter policy (and may be framed by the console).
                if (!headers.ContainsKey("Content-Security-Policy")) headers.ContentSecurityPolicy = PageCsp;
                if (!headers.ContainsKey("X-Frame-Options")) headers.XFrameOptions = "DENY";
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                headers["Cross-Origin-Opener-Policy"] = "same-origin";
                if (!headers.ContainsKey("Cache-Control")) headers.CacheControl = "no-store";
                return Task.CompletedTask;
            });
        }
        return next(context);
    }
}
