using System.Net.Http.Json;
using EmailApi.Tests.Accounts;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace EmailApi.Tests.Scratch;

public sealed class ScratchTests
{
    [Fact]
    public async Task Repro()
    {
        using var app = new TestApp();
        var logs = new List<string>();
        using var factory = app.WithWebHostBuilder(b => b.ConfigureLogging(l => l.AddProvider(new ListProvider(logs))));
        var admin = factory.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new("Bearer", TestApp.Key);
        var created = await TestApp.ReadJsonAsync(await admin.PostAsJsonAsync("/v1/accounts", new { name = "s", monthlyQuota = 1 }));
        var id = created.GetProperty("id").GetString();
        var key = (await TestApp.ReadJsonAsync(await admin.PostAsJsonAsync($"/v1/accounts/{id}/keys", new { scopes = new[] { "send" } }))).GetProperty("key").GetString();
        var c = factory.CreateClient();
        c.DefaultRequestHeaders.Authorization = new("Bearer", key);
        await c.PostAsJsonAsync("/v1/send", TestAccount.Message());
        var req = new HttpRequestMessage(HttpMethod.Post, "/v1/send") { Content = JsonContent.Create(TestAccount.Message()), Headers = { { "Idempotency-Key", "k" } } };
        var r1 = await c.SendAsync(req);
        await admin.PatchAsJsonAsync($"/v1/accounts/{id}", new { monthlyQuota = 2 });
        req = new HttpRequestMessage(HttpMethod.Post, "/v1/send") { Content = JsonContent.Create(TestAccount.Message()), Headers = { { "Idempotency-Key", "k" } } };
        var r2 = await c.SendAsync(req);
        Assert.True(r2.IsSuccessStatusCode, r2.StatusCode + await r2.Content.ReadAsStringAsync() + string.Join("\n", logs));
    }

    private sealed class ListProvider(List<string> logs) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new L(logs);
        public void Dispose() { }
        private sealed class L(List<string> logs) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            { lock (logs) logs.Add(formatter(state, exception) + exception); }
        }
    }
}
