using System.Net.Http.Json;
using EmailApi.Retention;
using EmailApi.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Retention;

public sealed class RetentionWorkerTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly TestApp _app;

    public RetentionWorkerTests() => _app = new TestApp(new Dictionary<string, string?> { ["Retention:Days"] = "30", ["Retention:StatusDays"] = "90" }, _clock);

    public void Dispose() => _app.Dispose();

    private long Scalar(string sql, object? args = null)
    {
        using var connection = _app.Services.GetRequiredService<SqliteDb>().Open();
        return Dapper.SqlMapper.ExecuteScalar<long>(connection, sql, args);
    }

    private async Task<string> SendAsync(object message)
    {
        var response = await _app.Authorized().PostAsJsonAsync("/v1/send", message);
        return (await TestApp.ReadJsonAsync(response)).GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task Bodies_OfFinishedMessagesPastRetention_AreDropped_StatusRowsKept()
    {
        var finished = await SendAsync(new { from = "s@example.com", to = "a@example.org", text = "old" });
        var live = await SendAsync(new { from = "s@example.com", to = "b@example.org", text = "still queued" });
        await _app.Authorized().DeleteAsync($"/v1/messages/{finished}");   // cancelled: final
        _clock.Advance(TimeSpan.FromDays(31));
        var recent = await SendAsync(new { from = "s@example.com", to = "c@example.org", text = "new" });
        await _app.Authorized().DeleteAsync($"/v1/messages/{recent}");

        await _app.Services.GetRequiredService<RetentionWorker>().RunOnceAsync(CancellationToken.None);

        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM messages WHERE id = @finished AND raw IS NOT NULL", new { finished }));
        Assert.Equal(1, Scalar("SELECT COUNT(*) FROM messages WHERE id = @live AND raw IS NOT NULL", new { live }));
        Assert.Equal(1, Scalar("SELECT COUNT(*) FROM messages WHERE id = @recent AND raw IS NOT NULL", new { recent }));
        var view = await TestApp.ReadJsonAsync(await _app.Authorized().GetAsync($"/v1/messages/{finished}"));
        Assert.Equal("cancelled", view.GetProperty("status").GetString());
    }

    [Fact]
    public async Task StatusRows_PastStatusDays_AreDeleted_LiveOnesKept()
    {
        var finished = await SendAsync(new { from = "s@example.com", to = "a@example.org", text = "old", tags = new[] { "t" } });
        var live = await SendAsync(new { from = "s@example.com", to = "b@example.org", text = "still queued" });
        await _app.Authorized().DeleteAsync($"/v1/messages/{finished}");
        _clock.Advance(TimeSpan.FromDays(91));

        await _app.Services.GetRequiredService<RetentionWorker>().RunOnceAsync(CancellationToken.None);

        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM messages WHERE id = @finished", new { finished }));
        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM recipients WHERE message_id = @finished", new { finished }));
        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM events WHERE message_id = @finished", new { finished }));
        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM message_tags WHERE message_id = @finished", new { finished }));
        Assert.Equal(1, Scalar("SELECT COUNT(*) FROM messages WHERE id = @live", new { live }));
    }

    [Fact]
    public async Task IdempotencyKeys_Expire24HoursLater_AndArePruned()
    {
        HttpRequestMessage Post() => new(HttpMethod.Post, "/v1/send")
        {
            Content = JsonContent.Create(new { from = "s@example.com", to = "a@example.org", text = "x" }),
            Headers = { { "Idempotency-Key", "daily" } },
        };
        var first = await _app.Authorized().SendAsync(Post());
        _clock.Advance(TimeSpan.FromHours(23));
        var replay = await _app.Authorized().SendAsync(Post());
        _clock.Advance(TimeSpan.FromHours(2));
        var fresh = await _app.Authorized().SendAsync(Post());

        Assert.True(replay.Headers.Contains("Idempotent-Replayed"));
        Assert.False(fresh.Headers.Contains("Idempotent-Replayed"));
        Assert.NotEqual(first.Headers.Location, fresh.Headers.Location);
        _clock.Advance(TimeSpan.FromHours(25));
        await _app.Services.GetRequiredService<RetentionWorker>().RunOnceAsync(CancellationToken.None);
        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM idempotency_keys"));
    }
}
