using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using EmailApi.SmtpBridge;
using EmailApi.Tests.Delivery;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Hosting;

/// <summary>
/// <c>/metrics</c> as Prometheus scrapes it (issue 18, point 5): the capabilities' own instruments
/// under the names dashboards already use, every outcome's series from the start, histograms for
/// time in queue, attempt duration and send latency, and ASP.NET Core's and the runtime's built-in
/// metrics beside them.
/// </summary>
public sealed class MetricsTests
{
    private static object Message(string to) => new { from = "s@example.com", to = new[] { to }, text = "x" };

    [Fact]
    public async Task Metrics_AtStart_ShowEverySeriesAtZero_AndTheRuntimesOwn()
    {
        using var app = new TestApp();

        var response = await app.CreateClient().GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
        foreach (var outcome in new[] { "delivered", "deferred", "bounced", "failed" })
            Assert.Equal(0, Value(text, $"emailapi_delivery_attempts_total{{outcome=\"{outcome}\"}}"));
        foreach (var source in new[] { "api", "smtp", "dsn" })
            Assert.Equal(0, Value(text, $"emailapi_messages_accepted_total{{source=\"{source}\"}}"));
        foreach (var name in new[] { "emailapi_queue_commits_total", "emailapi_queue_flushes_total", "emailapi_delivery_connections_total", "emailapi_delivery_connections_reused_total",
                     "emailapi_queue_result_commits_total", "emailapi_queue_result_commit_jobs_total", "emailapi_queue_result_commit_recipients_total" })
            Assert.Equal(0, Value(text, name));
        foreach (var reason in new[] { "busy", "throttled", "suspended" })
            Assert.Equal(0, Value(text, $"emailapi_delivery_put_back_total{{reason=\"{reason}\"}}"));
        Assert.Equal(0, Value(text, "emailapi_queue_oldest_due_age_seconds"));
        Assert.Equal(0, Value(text, "emailapi_queue_recipients{status=\"queued\"}"));
        // The runtime's instruments: this process has compiled code and used CPU by now.
        Assert.True(Value(text, "dotnet_jit_compilation_time_seconds_total") > 0);
        Assert.True(Value(text, "dotnet_jit_compiled_methods_total") > 100);
        Assert.Matches(@"\ndotnet_process_cpu_time_seconds_total\{cpu_mode=""user""\} [0-9.e+-]*[1-9]", text);
        Assert.Contains("# TYPE dotnet_gc_collections_total counter", text);
    }

    [Fact]
    public async Task Metrics_AfterSends_CountAcceptedMessages_CommitsAndSendLatency()
    {
        using var app = new TestApp();
        var client = app.Authorized();
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/v1/send", new { from = "s@example.com", to = new[] { "a@example.org", "b@example.org" }, text = "x" })).StatusCode);

        var text = await app.CreateClient().GetStringAsync("/metrics");

        Assert.Equal(3, Value(text, "emailapi_messages_accepted_total{source=\"api\"}"));
        Assert.Equal(0, Value(text, "emailapi_messages_accepted_total{source=\"smtp\"}"));
        Assert.Equal(6, Value(text, "emailapi_recipients_accepted_total"));
        Assert.Equal(6, Value(text, "emailapi_queue_recipients{status=\"queued\"}"));
        // Each send waited for its own commit, so the writer committed three times, one message each ...
        Assert.Equal(3, Value(text, "emailapi_queue_commits_total"));
        Assert.Equal(3, Value(text, "emailapi_queue_commit_messages_total"));
        Assert.True(Value(text, "emailapi_queue_commit_seconds_total") > 0);
        // ... and answered each only after a flush of the log.
        Assert.Equal(3, Value(text, "emailapi_queue_flushes_total"));
        Assert.True(Value(text, "emailapi_queue_flush_seconds_total") > 0);
        // Send latency: our histogram behind the endpoint, and ASP.NET Core's for the whole request.
        Assert.Equal(3, Value(text, "emailapi_send_duration_seconds_count{result=\"accepted\",source=\"api\"}"));
        Assert.Equal(3, Value(text, "emailapi_send_duration_seconds_bucket{result=\"accepted\",source=\"api\",le=\"+Inf\"}"));
        Assert.True(Value(text, "emailapi_send_duration_seconds_sum{result=\"accepted\",source=\"api\"}") > 0);
        // ASP.NET Core records a request's duration once its response has gone, a moment after the client has it.
        const string route = "http_server_request_duration_seconds_count{http_request_method=\"POST\",http_response_status_code=\"202\",http_route=\"/v1/send\",network_protocol_version=\"1.1\",url_scheme=\"http\"}";
        Assert.Equal(3, Value(await ScrapeUntilAsync(app, route, 3), route));
    }

    [Fact]
    public async Task Metrics_AfterAnSmtpSend_CountTheSession_TheAcceptedMessage_AndItsLatency()
    {
        using var app = new TestApp(new() { ["Roles"] = "api,smtp" });
        var bridge = app.Services.GetRequiredService<SmtpBridgeHost>();
        using (var client = new MailKit.Net.Smtp.SmtpClient { CheckCertificateRevocation = false, Timeout = 15_000 })
        {
            client.ServerCertificateValidationCallback = (_, _, _, _) => true;
            await client.ConnectAsync(bridge.SubmissionEndPoint!.Address.ToString(), bridge.SubmissionEndPoint.Port, MailKit.Security.SecureSocketOptions.StartTls);
            await client.AuthenticateAsync("apikey", TestApp.Key);
            var message = new MimeKit.MimeMessage();
            message.From.Add(MimeKit.MailboxAddress.Parse("s@example.com"));
            message.To.Add(MimeKit.MailboxAddress.Parse("to@example.org"));
            message.Subject = "over SMTP";
            message.Body = new MimeKit.TextPart("plain") { Text = "x" };
            await client.SendAsync(message);
            await client.DisconnectAsync(quit: true);
        }

        var text = await app.CreateClient().GetStringAsync("/metrics");

        Assert.Equal(1, Value(text, "emailapi_smtp_sessions_total{listener=\"submission\"}"));
        Assert.Equal(1, Value(text, "emailapi_smtp_sessions_authenticated_total{listener=\"submission\"}"));
        Assert.Equal(0, Value(text, "emailapi_smtp_sessions_faulted_total{listener=\"submission\"}"));
        Assert.Equal(0, Value(text, "emailapi_smtp_sessions_total{listener=\"inbound\"}"));
        Assert.Equal(1, Value(text, "emailapi_messages_accepted_total{source=\"smtp\"}"));
        Assert.Equal(0, Value(text, "emailapi_messages_accepted_total{source=\"api\"}"));
        Assert.Equal(1, Value(text, "emailapi_send_duration_seconds_count{result=\"accepted\",source=\"smtp\"}"));
    }

    [Fact]
    public async Task Metrics_OldestDueAge_GrowsWhileDueMailWaits()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var app = new TestApp(clock: clock);   // no sender role: nothing leases the message
        Assert.Equal(HttpStatusCode.Accepted, (await app.Authorized().PostAsJsonAsync("/v1/send", Message("a@example.org"))).StatusCode);

        clock.Advance(TimeSpan.FromSeconds(90));
        var text = await app.CreateClient().GetStringAsync("/metrics");

        Assert.InRange(Value(text, "emailapi_queue_oldest_due_age_seconds"), 90, 91);
        Assert.Equal(1, Value(text, "emailapi_queue_recipients{status=\"queued\"}"));
    }

    [Fact]
    public async Task Metrics_AfterDelivery_CountOutcomes_TimeInQueue_AndAttemptDuration()
    {
        await using var h = new DeliveryHarness();
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        h.Dns.Mx("gone.test", 10, "mx.gone.test").A("mx.gone.test", "127.0.0.3");
        var mx = h.Server("127.0.0.2");
        h.Server("127.0.0.3").OnRcpt = _ => "550 5.1.1 No such user";

        await h.WaitForStatusAsync(await h.SendAsync(Message("a@dest.test")), "delivered");
        await h.WaitForStatusAsync(await h.SendAsync(Message("b@gone.test")), "bounced");
        // The sender counts a result right after recording it, so a moment after the status API shows it.
        var text = await ScrapeUntilAsync(h.App, "emailapi_delivery_attempts_total{outcome=\"bounced\"}", 1);

        Assert.Equal(1, Value(text, "emailapi_delivery_attempts_total{outcome=\"delivered\"}"));
        Assert.Equal(1, Value(text, "emailapi_delivery_attempts_total{outcome=\"bounced\"}"));
        Assert.Equal(0, Value(text, "emailapi_delivery_attempts_total{outcome=\"deferred\"}"));
        Assert.Equal(2, Value(text, "emailapi_delivery_connections_total"));
        Assert.Equal(2, Value(text, "emailapi_queue_time_to_first_attempt_seconds_count"));
        Assert.Equal(1, Value(text, "emailapi_queue_time_to_delivery_seconds_count"));
        Assert.InRange(Value(text, "emailapi_queue_time_to_delivery_seconds_sum"), 0.000001, 20);
        Assert.Equal(1, Value(text, "emailapi_delivery_attempt_duration_seconds_count{outcome=\"delivered\"}"));
        Assert.Equal(1, Value(text, "emailapi_delivery_attempt_duration_seconds_count{outcome=\"bounced\"}"));
        Assert.True(Value(text, "emailapi_delivery_attempt_duration_seconds_sum{outcome=\"delivered\"}") > 0);
        Assert.Equal(0, Value(text, "emailapi_queue_recipients{status=\"queued\"}"));
        // Both jobs' results were recorded by the results' group commit: one transaction each here, as they came one after the other.
        Assert.Equal(2, Value(text, "emailapi_queue_result_commit_jobs_total"));
        Assert.Equal(2, Value(text, "emailapi_queue_result_commit_recipients_total"));
        Assert.InRange(Value(text, "emailapi_queue_result_commits_total"), 1, 2);
        Assert.True(Value(text, "emailapi_queue_result_commit_seconds_total") > 0);
        Assert.Single(mx.Messages);
    }

    /// <summary>Scrapes until <paramref name="series"/> reads <paramref name="expected"/> or 10 s have passed; returns the last scrape.</summary>
    private static async Task<string> ScrapeUntilAsync(TestApp app, string series, double expected)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var text = await app.CreateClient().GetStringAsync("/metrics");
            if (DateTime.UtcNow > deadline || Regex.IsMatch(text, "^" + Regex.Escape(series) + " " + expected.ToString(CultureInfo.InvariantCulture) + "$", RegexOptions.Multiline))
                return text;
            await Task.Delay(50);
        }
    }

    /// <summary>The value of one series, the whole line matched: <c>name{labels} value</c> (a series without labels may read <c>name{} value</c>).</summary>
    internal static double Value(string text, string series)
    {
        var pattern = "^" + Regex.Escape(series) + (series.Contains('{') ? "" : @"(\{\})?") + @" (\S+)$";
        var match = Regex.Match(text, pattern, RegexOptions.Multiline);
        Assert.True(match.Success, $"no series {series} in:\n{text}");
        return double.Parse(match.Groups[match.Groups.Count - 1].Value, CultureInfo.InvariantCulture);
    }
}
