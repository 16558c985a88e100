using System.Net;
using System.Security.Cryptography.X509Certificates;
using EmailApi.TestKit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace EmailApi.Tests.Delivery.MtaSts;

/// <summary>An HTTPS server on loopback serving <c>/.well-known/mta-sts.txt</c> (Kestrel, with a certificate from a test CA).</summary>
public sealed class PolicyServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    private PolicyServer(WebApplication app) => _app = app;

    public string Policy { get; set; } = "";
    public string ContentType { get; set; } = "text/plain";
    public int Requests => _requests;

    /// <summary>TLS reports POSTed to <c>/tlsrpt</c>: content type and body.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<(string? ContentType, byte[] Body)> Reports { get; } = new();

    public static async Task<PolicyServer> StartAsync(string address, int port, X509Certificate2 certificate)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Parse(address), port, l => l.UseHttps(certificate)));
        var app = builder.Build();
        var server = new PolicyServer(app);
        app.MapGet("/.well-known/mta-sts.txt", () =>
        {
            Interlocked.Increment(ref server._requests);
            return Results.Text(server.Policy, server.ContentType);
        });
        app.MapPost("/tlsrpt", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            server.Reports.Enqueue((request.ContentType, body.ToArray()));
            return Results.Ok();
        });
        await app.StartAsync();
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
