using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace EmailApi.Events;

/// <summary>
/// Delivers the event outbox to webhook endpoints, apart from mail delivery: its own loop, its own
/// HTTP client with a short timeout and a bounded number of requests in flight, so a slow or dead
/// endpoint delays only its own events. A 2xx answer delivers; anything else (status, timeout,
/// refused connection) is retried after <see cref="WebhookOptions.Delays"/>, and an endpoint
/// failing for <see cref="WebhookOptions.DisableAfter"/> is disabled. A crash mid-POST only
/// repeats the event (the lease expires); receivers deduplicate on <c>webhook-id</c>.
/// </summary>
public sealed class WebhookDispatcher(IWebhookStore store, WebhookAddressGuard guard, IOptions<WebhookOptions> options, TimeProvider clock, ILogger<WebhookDispatcher> log)
    : BackgroundService
{
    private const int FanOutBatch = 5_000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private long _idleRounds;

    /// <summary>Rounds that found nothing to send. Rounds run one after another and each waits for its
    /// deliveries, so one more means every delivery this node had started has been answered and recorded.</summary>
    public long IdleRounds => Interlocked.Read(ref _idleRounds);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        using var http = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            // Through a proxy (HTTP_PROXY) the connect callback would only see the proxy, and the
            // proxy would dial the endpoint unchecked: webhooks always connect directly.
            UseProxy = false,
            ConnectTimeout = settings.Timeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectCallback = guard.ConnectAsync,
        })
        { Timeout = settings.Timeout };
        using var slots = new SemaphoreSlim(settings.MaxConcurrency);
        var leaseFor = settings.Timeout * 3;

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await store.FanOutAsync(FanOutBatch, stoppingToken) == FanOutBatch) { }
                var due = await store.LeaseAsync(settings.MaxConcurrency * 4, leaseFor, stoppingToken);
                await Task.WhenAll(due.Select(async delivery =>
                {
                    await slots.WaitAsync(stoppingToken);
                    try { await DeliverAsync(http, delivery, settings, stoppingToken); }
                    finally { slots.Release(); }
                }));
                if (due.Count > 0) continue;
                Interlocked.Increment(ref _idleRounds);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                log.LogError(ex, "Webhook dispatch failed; retrying after the poll interval");
            }
            try { await Task.Delay(settings.PollInterval, clock, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }

    private async Task DeliverAsync(HttpClient http, WebhookDelivery delivery, WebhookOptions settings, CancellationToken ct)
    {
        // Message and domain events are numbered apart, so their ids get prefixes of their own.
        var id = delivery.Domain is null ? $"msg_{delivery.EventId}" : $"dom_{delivery.EventId}";
        var timestamp = clock.GetUtcNow().ToUnixTimeSeconds();
        var body = Body(delivery);
        string? error;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("webhook-id", id);
            request.Headers.Add("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.Add("webhook-signature", WebhookSignature.Sign(delivery.Secret, id, timestamp, body));
            request.Headers.UserAgent.Add(new ProductInfoHeaderValue("EmailApi-Webhooks", "1"));
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            error = response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}";
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            error = ex is TaskCanceledException ? $"No answer within {settings.Timeout.TotalSeconds:0} s" : ex.Message;
        }

        // The answer is in: record it even while stopping, or the event is sent again on restart.
        if (error is null)
        {
            await store.RecordSuccessAsync(delivery, CancellationToken.None);
            return;
        }
        var now = clock.GetUtcNow();
        DateTimeOffset? retryAt = delivery.Attempts < settings.Delays.Count ? now + settings.Delays[delivery.Attempts] : null;
        log.LogInformation("Webhook {Webhook} event {Event}: {Error}; {Next}", delivery.WebhookId, id, error, retryAt is null ? "giving up" : $"retry at {retryAt:O}");
        await store.RecordFailureAsync(delivery, error, retryAt, now - settings.DisableAfter, CancellationToken.None);
    }

    internal static string Body(WebhookDelivery d) => d.Domain is not null
        ? JsonSerializer.Serialize(new
        {
            type = d.Type,
            timestamp = d.At,
            data = new { domainId = d.DomainId, domain = d.Domain, status = d.Type["domain.".Length..], detail = d.Detail },
        }, Json)
        : JsonSerializer.Serialize(new
        {
            type = $"message.{d.Type}",
            timestamp = d.At,
            data = new
            {
                messageId = d.MessageId,
                recipient = d.Recipient,
                status = d.Type,
                detail = d.Detail,
                replyCode = d.ReplyCode,
                enhancedStatus = d.EnhancedStatus,
                mx = d.Mx,
                // A bounce or complaint that came back to the return path after delivery, with what the report said.
                @async = d.Report is not null,
                report = d.Report is null ? (JsonElement?)null : JsonDocument.Parse(d.Report).RootElement.Clone(),
                source = d.Source,
                tags = d.Tags is null ? [] : JsonSerializer.Deserialize<string[]>(d.Tags) ?? [],
                metadata = d.Metadata is null ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(d.Metadata),
            },
        }, Json);
}
