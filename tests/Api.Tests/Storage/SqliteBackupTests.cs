using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using EmailApi.Storage;
using Microsoft.Data.Sqlite;

namespace EmailApi.Tests.Storage;

/// <summary>
/// Backup of a running SQLite queue and a restore (issue 18, point 6): a copy taken while mail keeps
/// arriving holds every message acknowledged before it began, and a service started on the copy
/// knows them (same account, same key, same queue).
/// </summary>
public sealed class SqliteBackupTests
{
    private static object Message(int i) => new { from = "s@example.com", to = new[] { $"r{i}@example.org" }, subject = $"m{i}", text = "x" };

    [Fact]
    public async Task Backup_WhileSending_ThenRestore_ServiceStartsOnTheCopy_WithEveryMessageAcknowledgedBefore()
    {
        using var app = new TestApp();
        var client = app.Authorized();
        var before = new List<string>();
        for (var i = 0; i < 20; i++) before.Add(await SendAsync(client, i));

        // Senders keep going during the backup; what they were answered before it began must be in it.
        using var stop = new CancellationTokenSource();
        var during = new ConcurrentBag<string>();
        var senders = Enumerable.Range(0, 4).Select(n => Task.Run(async () =>
        {
            for (var i = 1000 * (n + 1); !stop.IsCancellationRequested; i++) during.Add(await SendAsync(client, i));
        })).ToArray();
        while (during.Count < 20) await Task.Delay(10);
        var acknowledgedBefore = before.Concat(during.ToArray()).ToArray();
        var target = Path.Combine(app.Directory, "backup", "copy.db");
        var result = await SqliteBackup.RunAsync(Path.Combine(app.Directory, "queue.db"), target, CancellationToken.None);
        stop.Cancel();
        await Task.WhenAll(senders);

        Assert.True(result.Messages >= acknowledgedBefore.Length, $"{result.Messages} messages in the copy, {acknowledgedBefore.Length} acknowledged before it");
        Assert.Equal(new FileInfo(target).Length, result.Bytes);
        Assert.False(File.Exists(target + ".partial"));

        // Restore: the copy becomes the database of a new service (its own folder, no -wal beside it).
        var restoredPath = Path.Combine(app.Directory, "restore", "queue.db");
        Directory.CreateDirectory(Path.GetDirectoryName(restoredPath)!);
        File.Copy(target, restoredPath);
        using var onCopy = new TestApp(new() { ["Storage:Sqlite:Path"] = restoredPath });
        var reader = onCopy.Authorized();
        foreach (var id in acknowledgedBefore)
            Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync($"/v1/messages/{id}")).StatusCode);
        // ... and it goes on working: it accepts mail.
        Assert.NotEmpty(await SendAsync(reader, 1));
    }

    [Fact]
    public async Task Backup_OntoAnExistingFile_Refuses_AndLeavesItAlone()
    {
        using var app = new TestApp();
        await SendAsync(app.Authorized(), 1);
        var target = Path.Combine(app.Directory, "exists.db");
        await File.WriteAllTextAsync(target, "keep me");

        var refusal = await Assert.ThrowsAsync<StorageStartException>(() => SqliteBackup.RunAsync(Path.Combine(app.Directory, "queue.db"), target, CancellationToken.None));

        Assert.Contains("exists already", refusal.Message);
        Assert.Equal("keep me", await File.ReadAllTextAsync(target));
    }

    [Fact]
    public async Task Backup_OfAMissingDatabase_SaysSo_AndWritesNothing()
    {
        var dir = Path.Combine(Path.GetTempPath(), "emailapi-tests", Guid.NewGuid().ToString("N"));
        var target = Path.Combine(dir, "copy.db");

        var refusal = await Assert.ThrowsAsync<StorageStartException>(() => SqliteBackup.RunAsync(Path.Combine(dir, "none.db"), target, CancellationToken.None));

        Assert.Contains("no database", refusal.Message);
        Assert.False(File.Exists(target));
        SqliteConnection.ClearAllPools();
    }

    private static async Task<string> SendAsync(HttpClient client, int i)
    {
        var response = await client.PostAsJsonAsync("/v1/send", Message(i));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await TestApp.ReadJsonAsync(response)).GetProperty("id").GetString()!;
    }
}
