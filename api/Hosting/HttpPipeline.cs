using EmailApi.Compat;
using EmailApi.Accounts;
using EmailApi.Domains;
using EmailApi.Events;
using EmailApi.Messages;
using EmailApi.Sending;
using EmailApi.Feedback;
using EmailApi.Suppressions;
using EmailApi.Unsubscribe;
using EmailApi.WebConsole;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace EmailApi.Hosting;

public static class HttpPipeline
{
    public static WebApplication MapEmailApi(this WebApplication app)
    {
        // Unexpected failures become a bare 500 problem: details go to the log, never to the client.
        app.Use(AddRetryAfter);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();

        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = HealthResponse.WriteAsync });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = HealthResponse.WriteAsync });
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
                .MapDeliverability()
                .MapInbound();
            app.MapUnsubscribe();
            app.MapCompat();
            app.MapWebConsole();
        }
        return app;
    }

    // Every 503 (the database unavailable, shutting down) is temporary by definition: tell clients
    // when to come back (RFC 9110 §10.2.3) unless the endpoint chose a time itself.
    private const string RetryAfterSeconds = "30";

    private static Task AddRetryAfter(HttpContext context, RequestDelegate next)
    {
        context.Response.OnStarting(() =>
        {
            if (context.Response.StatusCode == StatusCodes.Status503ServiceUnavailable && !context.Response.Headers.ContainsKey("Retry-After"))
                context.Response.Headers.RetryAfter = RetryAfterSeconds;
            return Task.CompletedTask;
        });
        return next(context);
    }
}
