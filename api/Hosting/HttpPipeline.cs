using EmailApi.Accounts;
using EmailApi.Domains;
using EmailApi.Events;
using EmailApi.Messages;
using EmailApi.Sending;
using EmailApi.Suppressions;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace EmailApi.Hosting;

public static class HttpPipeline
{
    public static WebApplication MapEmailApi(this WebApplication app)
    {
        // Unexpected failures become a bare 500 problem: details go to the log, never to the client.
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") });
        app.MapMetrics();

        if (app.Services.GetRequiredService<Roles>().Api)
        {
            app.UseSwagger();
            app.UseSwaggerUI(o => o.DocumentTitle = "EmailApi");
            app.MapGroup("/v1")
                .MapSendMessage()
                .MapSendBatch()
                .MapSendRaw()
                .MapGetMessage()
                .MapListMessages()
                .MapCancelMessage()
                .MapAccounts()
                .MapWebhooks()
                .MapSuppressions()
                .MapDomains()
                .MapDeliverability();
        }
        return app;
    }
}
