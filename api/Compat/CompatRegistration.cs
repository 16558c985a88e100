using EmailApi.Compat.Mailgun;
using EmailApi.Compat.Postmark;
using EmailApi.Compat.Resend;
using EmailApi.Compat.SendGrid;
using Microsoft.Extensions.Options;

namespace EmailApi.Compat;

public static class CompatRegistration
{
    public static IServiceCollection AddCompat(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<CompatOptions>(configuration.GetSection(CompatOptions.Section));
        services.AddSingleton<CompatSender>();
        return services;
    }

    /// <summary>The hosted-API doors that <c>Compat:*:Enabled</c> leaves on; a door turned off answers 404 like any unknown path.</summary>
    public static WebApplication MapCompat(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<CompatOptions>>().Value;
        if (options.SendGrid.Enabled) app.MapSendGrid();
        if (options.Postmark.Enabled) app.MapPostmark();
        if (options.Mailgun.Enabled) app.MapMailgun();
        if (options.Resend.Enabled) app.MapResend();
        return app;
    }
}
