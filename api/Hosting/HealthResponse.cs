using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EmailApi.Hosting;

/// <summary>
/// The health endpoints' body: the overall status and each check's, so whoever sees 503 learns
/// which check failed (<c>{"status":"Unhealthy","checks":{"storage":{"status":"Unhealthy","description":"…"}}}</c>).
/// Descriptions are written for this body: they carry no paths or connection strings.
/// </summary>
public static class HealthResponse
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body), context.RequestAborted);
    }
}
