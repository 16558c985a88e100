using System.Net;
using System.Net.Http.Json;
using EmailApi.Accounts;
using Microsoft.Extensions.DependencyInjection;

namespace EmailApi.Tests.Accounts;

public sealed class KeysCommandTests : IDisposable
{
    private readonly TestApp _app = new(new() { ["Domains:RequireVerified"] = "false" });   // these tests are about other rules: any From domain

    public void Dispose() => _app.Dispose();

    private async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var code = await KeysCommand.RunAsync(["keys", .. args], _app.Services.GetRequiredService<IAccountStore>(), output, CancellationToken.None);
        return (code, output.ToString());
    }

    [Fact]
    public async Task Create_PrintsAKeyThatAuthenticates_AndStoresOnlyItsHash()
    {
        var (code, output) = await RunAsync("create", "--account", "shop");
        var key = output.Trim().Split('\n')[^1].Trim();

        Assert.Equal(0, code);
        Assert.StartsWith(ApiKey.Prefix, key);
        Assert.True(key.Length >= 46);   // 256 bits in base64url behind the prefix
        var response = await _app.Authorized(key).PostAsJsonAsync("/v1/send", new { from = "a@example.com", to = "b@example.org", text = "x" });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        var dbBytes = await File.ReadAllBytesAsync(Path.Combine(_app.Directory, "queue.db"));
        var walPath = Path.Combine(_app.Directory, "queue.db-wal");
        var all = dbBytes.Concat(File.Exists(walPath) ? await File.ReadAllBytesAsync(walPath) : []).ToArray();
        Assert.Equal(-1, all.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(key)));
    }

    [Fact]
    public async Task Revoke_KeyStopsWorking()
    {
        var (_, output) = await RunAsync("create", "--account", "shop", "--name", "web");
        var key = output.Trim().Split('\n')[^1].Trim();
        var id = ApiKey.IdOf(ApiKey.Hash(key));
        Assert.Contains(id, (await RunAsync("list")).Output);

        var (code, _) = await RunAsync("revoke", id);
        _app.Services.GetRequiredService<ApiKeyAuthenticator>().Forget(id);

        Assert.Equal(0, code);
        Assert.Contains("revoked", (await RunAsync("list")).Output);
        var response = await _app.Authorized(key).GetAsync($"/v1/messages/{Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("create")]
    [InlineData("create", "--account", "x", "--scopes", "root")]
    [InlineData("revoke")]
    [InlineData("revoke", "nope")]
    [InlineData("explode")]
    public async Task BadArguments_ExitNonZeroWithUsage(params string[] args)
    {
        var (code, output) = await RunAsync(args);
        Assert.NotEqual(0, code);
        Assert.Contains("usage:", output);
    }

    [Fact]
    public async Task Key_WithoutReadScope_CannotReadMessages()
    {
        var (_, output) = await RunAsync("create", "--account", "shop", "--scopes", "send");
        var key = output.Trim().Split('\n')[^1].Trim();

        var response = await _app.Authorized(key).GetAsync($"/v1/messages/{Guid.NewGuid()}");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }
}
