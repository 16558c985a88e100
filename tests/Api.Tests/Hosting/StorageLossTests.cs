using System.Net;
using System.Net.Http.Json;
using EmailApi.SmtpBridge;
using EmailApi.Storage;
using EmailApi.Tests.SmtpBridge;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace EmailApi.Tests.Hosting;

/// <summary>
/// The database's files deleted under a running service (issue #15, point 7): open connections
/// keep writing to the deleted file without error, so nothing may be acknowledged any more, and
/// readiness must say so; the next start must refuse instead of creating an empty database.
/// </summary>
public sealed class StorageLossTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "emailapi-tests", "loss-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private string DbPath => Path.Combine(_dir, "queue.db");

    private TestApp App(bool allowCreate = false) => new(new Dictionary<string, string?>
    {
        ["Roles"] = "api,smtp",
        ["Storage:Sqlite:Path"] = DbPath,
        ["Storage:Sqlite:AllowCreate"] = allowCreate ? "true" : "false",
        ["Storage:CheckInterval"] = "00:00:00.500",
        ["Storage:MinFreeBytes"] = "0",
    });

    private void DeleteDatabaseFiles()
    {
        // Not ClearAllPools: the running service's pooled connections keep the deleted file open, as in production.
        foreach (var suffix in new[] { "", "-wal", "-shm" }) File.Delete(DbPath + suffix);
    }

    [Fact]
    public async Task Send_AfterDatabaseFilesDeleted_IsRefused503And451_AndReadyFailsNamingStorage()
    {
        using var app = App();
        var client = app.Authorized();
        var before = await client.PostAsJsonAsync("/v1/send", new { from = "s@example.com", to = "r@example.org", subject = "before", text = "x" });
        Assert.Equal(HttpStatusCode.Accepted, before.StatusCode);
        using var smtp = await ConnectSmtpAsync(app);   // authenticated while the database was there

        DeleteDatabaseFiles();

        var sent = await client.PostAsJsonAsync("/v1/send", new { from = "s@example.com", to = "r@example.org", subject = "after", text = "x" });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, sent.StatusCode);
        Assert.Equal("application/problem+json", sent.Content.Headers.ContentType?.MediaType);
        Assert.Equal(503, (await TestApp.ReadJsonAsync(sent)).GetProperty("status").GetInt32());
        Assert.NotNull(sent.Headers.RetryAfter);

        var error = await Assert.ThrowsAsync<SmtpCommandException>(() => smtp.SendAsync(SmtpSubmissionTests.Message("after")));
        Assert.Equal(451, (int)error.StatusCode);
        Assert.Contains("4.3.0", error.Message);

        // Readiness shares a check made within the last second, so it may take that long to follow.
        var health = app.CreateClient();
        var ready = await health.GetAsync("/health/ready");
        for (var deadline = DateTime.UtcNow.AddSeconds(10); ready.StatusCode != HttpStatusCode.ServiceUnavailable && DateTime.UtcNow < deadline;)
        {
            await Task.Delay(100);
            ready = await health.GetAsync("/health/ready");
        }
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var body = await TestApp.ReadJsonAsync(ready);
        Assert.Equal("Unhealthy", body.GetProperty("checks").GetProperty("storage").GetProperty("status").GetString());
        Assert.Equal("The database file is missing.", body.GetProperty("checks").GetProperty("storage").GetProperty("description").GetString());
        Assert.False(File.Exists(DbPath), "the running service recreated the database file");
    }

    [Fact]
    public async Task Send_WhenTheDataFolderHasLessThanMinFreeBytes_IsRefused503_AndReadyNamesStorage()
    {
        // No test can fill the machine's disk; asking for more free space than any disk has is the same to the service.
        using var app = new TestApp(new Dictionary<string, string?>
        {
            ["Storage:Sqlite:Path"] = DbPath,
            ["Storage:MinFreeBytes"] = long.MaxValue.ToString(),
        });

        var ready = await app.CreateClient().GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var storage = (await TestApp.ReadJsonAsync(ready)).GetProperty("checks").GetProperty("storage");
        Assert.Equal("The data folder's disk is full.", storage.GetProperty("description").GetString());

        var sent = await app.Authorized().PostAsJsonAsync("/v1/send", new { from = "s@example.com", to = "r@example.org", subject = "full", text = "x" });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, sent.StatusCode);
        Assert.NotNull(sent.Headers.RetryAfter);
    }

    [Fact]
    public async Task Start_WhenIdentityFileSaysADatabaseExisted_Refuses_UnlessAllowCreate()
    {
        using (var first = App())
        {
            Assert.Equal(HttpStatusCode.OK, (await first.CreateClient().GetAsync("/health/ready")).StatusCode);
        }
        SqliteConnection.ClearAllPools();
        DeleteDatabaseFiles();

        using (var second = App())
        {
            Assert.ThrowsAny<Exception>(() => second.CreateClient());   // the process prints the reason and exits 1 (ProgramProcessTests)
        }
        Assert.False(File.Exists(DbPath));
        var db = new SqliteDb(Microsoft.Extensions.Options.Options.Create(new StorageOptions { Sqlite = { Path = DbPath } }));
        var refused = await Assert.ThrowsAsync<StorageStartException>(() =>
            new SqliteMigrations(db, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<SqliteMigrations>.Instance).ApplyAsync(CancellationToken.None));
        Assert.Equal($"The database {DbPath} is missing, but {DbPath}.id shows that database {File.ReadAllText(DbPath + ".id").Trim()} was there: " +
            "mail it had accepted would be lost. Restore the file (with its -wal file), or set Storage:Sqlite:AllowCreate=true to start with an empty database.", refused.Message);
        Assert.False(File.Exists(DbPath));

        using var third = App(allowCreate: true);
        Assert.Equal(HttpStatusCode.OK, (await third.CreateClient().GetAsync("/health/ready")).StatusCode);
        Assert.True(File.Exists(DbPath));
    }

    private static async Task<SmtpClient> ConnectSmtpAsync(TestApp app)
    {
        var endPoint = app.Services.GetRequiredService<SmtpBridgeHost>().SubmissionEndPoint!;
        var client = new SmtpClient { CheckCertificateRevocation = false, Timeout = 15_000 };
        client.ServerCertificateValidationCallback = (_, _, _, _) => true;
        await client.ConnectAsync(endPoint.Address.ToString(), endPoint.Port, SecureSocketOptions.StartTls);
        await client.AuthenticateAsync("apikey", TestApp.Key);
        return client;
    }
}
