using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EmailApi.Tests.Events;

/// <summary>A real HTTP server on 127.0.0.1 (Kestrel, free port) that records every POST and answers with <see cref="Status"/>.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedWebhook> _received = new();
    private readonly SemaphoreSlim _arrived = new(0);

    private WebhookReceiver(WebApplication app) => _app = app;

    public Func<int, int> Status { get; set; } = _ => 200;
    public int Attempts => _attempts;
    private int _attempts;

    public string Url => $"{_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()}/hook";

    public IReadOnlyList<ReceivedWebhook> Accepted => _received.Where(r => r.Status is >= 200 and < 300).ToArray();
    public IReadOnlyList<ReceivedWebhook> All => _received.ToArray();

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hook", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            var body = await reader.ReadToEndAsync();
            var status = receiver.Status(Interlocked.Increment(ref receiver._attempts));
            receiver._received.Enqueue(new ReceivedWebhook(request.Headers["webhook-id"].ToString(), request.Headers["webhook-timestamp"].ToString(),
                request.Headers["webhook-signature"].ToString(), body, status));
            receiver._arrived.Release();
            return Results.StatusCode(status);
        });
        await app.StartAsync();
        return receiver;
    }

    /// <summary>Waits until <paramref name="done"/> holds for what was accepted so far.</summary>
    public async Task WaitForAsync(Func<IReadOnlyList<ReceivedWebhook>, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!done(Accepted))
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException($"Webhooks received: {string.Join("\n", All.Select(r => $"{r.Status} {r.Body}"))}");
            await _arrived.WaitAsync(left);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public sealed record ReceivedWebhook(string Id, string Timestamp, string Signature, string Body, int Status);
