using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using EmailApi.Tests.Delivery;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EmailApi.Tests.Hosting;

/// <summary>
/// One structured log line per accepted message and per delivery result (issue 18, point 5), with
/// the values a log search needs as named fields, not only in the text.
/// </summary>
public sealed class StructuredLogTests
{
    [Fact]
    public async Task AcceptedMessage_AndEachDeliveryResult_LogOneStructuredLineEach()
    {
        await using var h = new DeliveryHarness(new() { ["Logging:LogLevel:EmailApi"] = "Information" });
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        h.Server("127.0.0.2").OnRcpt = rcpt => rcpt.Contains("gone@") ? "550 5.1.1 No such user" : "250 2.1.5 Ok";
        var logs = new Capture();
        using var app = h.App.WithWebHostBuilder(b => b.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs)));
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestApp.Key);

        var response = await client.PostAsJsonAsync("/v1/send", new { from = "s@example.com", to = new[] { "ana@dest.test", "gone@dest.test" }, text = "x" });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await TestApp.ReadJsonAsync(response)).GetProperty("id").GetString()!;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (logs.Of(2001).Count < 2 && DateTime.UtcNow < deadline) await Task.Delay(50);

        var accepted = Assert.Single(logs.Of(1001));
        Assert.Equal(LogLevel.Information, accepted.Level);
        Assert.Equal(id, accepted.State["MessageId"]);
        Assert.Equal("api", accepted.State["Source"]);
        Assert.Equal(2, accepted.State["Recipients"]);
        Assert.Equal("s@example.com", accepted.State["EnvelopeFrom"]);
        var results = logs.Of(2001).ToDictionary(r => (string)r.State["Recipient"]!);
        Assert.Equal(2, results.Count);
        Assert.Equal("delivered", results["ana@dest.test"].State["Status"]);
        Assert.Equal("bounced", results["gone@dest.test"].State["Status"]);
        Assert.StartsWith("550 5.1.1", (string)results["gone@dest.test"].State["Response"]!);
        Assert.All(results.Values, r => Assert.Equal(id, r.State["MessageId"]));
        Assert.All(results.Values, r => Assert.Equal(1, r.State["Attempt"]));
        Assert.All(results.Values, r => Assert.Equal("mx.dest.test", r.State["Mx"]));
    }

    private sealed record Entry(int EventId, LogLevel Level, IReadOnlyDictionary<string, object?> State);

    private sealed class Capture : ILoggerProvider
    {
        private readonly ConcurrentQueue<Entry> _entries = new();

        public IReadOnlyList<Entry> Of(int eventId) => _entries.Where(e => e.EventId == eventId).ToArray();

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose() { }

        private sealed class Logger(Capture owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (eventId.Id is not (1001 or 2001)) return;
                var values = state as IEnumerable<KeyValuePair<string, object?>> ?? [];
                owner._entries.Enqueue(new Entry(eventId.Id, logLevel, values.ToDictionary(p => p.Key, p => p.Value)));
            }
        }
    }
}
