using System.Net;

namespace EmailApi.Tests.Hosting;

public sealed class HealthTests
{
    [Fact]
    public async Task Live_And_Ready_Return200WithoutAuth()
    {
        using var app = new TestApp();
        var client = app.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
    }

    [Fact]
    public async Task Ready_WhenDatabaseIsGone_Returns503()
    {
        using var app = new TestApp();
        var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var file in Directory.GetFiles(app.Directory)) File.Delete(file);
        Directory.Delete(app.Directory, recursive: true);   // with the Data Protection key ring beside the file

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health/ready")).StatusCode);
    }

    [Fact]
    public async Task SenderOnlyNode_ServesHealthButNotTheApi()
    {
        using var app = new TestApp(new() { ["Roles"] = "sender" });
        var client = app.Authorized();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync("/v1/send", new StringContent("{}"))).StatusCode);
    }
}
