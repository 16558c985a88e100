using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using EmailApi.TestKit;
using Microsoft.Data.Sqlite;

namespace EmailApi.Tests.Delivery;

public sealed class GracefulShutdownTests
{
    [Fact]
    public async Task Stop_WhileATransactionHangs_ExitsWithinSecondsAndReleasesTheLease()
    {
        var dir = Path.Combine(Path.GetTempPath(), "emailapi-stop", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var db = Path.Combine(dir, "q.db");
        using var dns = new DnsTestServer();
        var port = FakeSmtpServer.FreePort();
        await using var stalling = new FakeSmtpServer(IPAddress.Parse("127.0.0.2"), port) { StallInData = true };
        dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        var settings = new Dictionary<string, string?>
        {
            ["Roles"] = "api,sender",
            ["Storage:Sqlite:Path"] = db,
            ["Delivery:DnsServers:0"] = dns.Endpoint,
            ["Delivery:Port"] = port.ToString(),
            ["Delivery:CommandTimeout"] = "00:05:00",
        };

        var app = new TestApp(settings);
        var sent = await app.Authorized().PostAsJsonAsync("/v1/send", new { from = "s@example.com", to = "u@dest.test", text = "x" });
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!stalling.Transcript.Any(l => l == "C: DATA") && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.Contains("C: DATA", stalling.Transcript);

        var watch = Stopwatch.StartNew();
        app.Dispose();
        watch.Stop();

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"Shutdown took {watch.Elapsed}.");
        await using var connection = new SqliteConnection($"Data Source={db}");
        await connection.OpenAsync();
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT status FROM recipients";
        Assert.Equal("queued", await query.ExecuteScalarAsync());
        SqliteConnection.ClearAllPools();
        Directory.Delete(dir, recursive: true);
    }
}
