using System.Net;
using System.Net.Http.Json;

namespace EmailApi.Tests.Hosting;

public sealed class MetricsTests
{
    [Fact]
    public async Task Metrics_CountAcceptedMessagesAndQueueDepth_InPrometheusFormat()
    {
        using var app = new TestApp();
        var client = app.Authorized();
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/v1/send", new { from = "s@example.com", to = new[] { "a@example.org", "b@example.org" }, text = "x" })).StatusCode);

        var response = await app.CreateClient().GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("emailapi_messages_accepted_total{source=\"api\"} 3", text);
        Assert.Contains("emailapi_recipients_accepted_total 6", text);
        Assert.Contains("emailapi_queue_recipients{status=\"queued\"} 6", text);
        Assert.Contains("# TYPE emailapi_delivery_attempts_total counter", text);
        // Each send waited for its own commit, so the writer committed three times, one message each.
        Assert.Contains("emailapi_queue_commits_total 3", text);
        Assert.Contains("emailapi_queue_commit_messages_total 3", text);
        Assert.Matches(@"emailapi_queue_commit_seconds_total 0\.\d*[1-9]", text);
        // ... and answered each only after a flush of the log.
        Assert.Contains("emailapi_queue_flushes_total 3", text);
        Assert.Matches(@"emailapi_queue_flush_seconds_total 0\.\d*[1-9]", text);
        // The runtime's own figures: this process has compiled code and used CPU by now.
        Assert.Matches(@"\nprocess_cpu_seconds_total [0-9.]*[1-9]", text);
        Assert.Matches(@"\nemailapi_jit_seconds_total [0-9.]*[1-9]", text);
        Assert.Matches(@"\nemailapi_jit_methods_total [1-9]\d+\n", text);
    }
}
