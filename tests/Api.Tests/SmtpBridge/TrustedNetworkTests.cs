using System.Net;
using EmailApi.SmtpBridge;
using EmailApi.Tests.Accounts;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.DependencyInjection;

namespace EmailApi.Tests.SmtpBridge;

/// <summary>A legacy device in Smtp:TrustedNetworks submits without AUTH, as Smtp:TrustedAccount.</summary>
public sealed class TrustedNetworkTests : IDisposable
{
    private readonly TestApp _app = new(new Dictionary<string, string?>
    {
        ["Roles"] = "api,smtp",
        ["Smtp:TrustedNetworks:0"] = "127.0.0.0/8",
        ["Smtp:TrustedAccount"] = "default",
    });

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task Send_FromTrustedNetworkWithoutAuth_IsQueuedForTheTrustedAccount()
    {
        var bridge = _app.Services.GetRequiredService<SmtpBridgeHost>();
        using var client = new SmtpClient { Timeout = 15_000 };
        await client.ConnectAsync("127.0.0.1", bridge.SubmissionEndPoint!.Port, SecureSocketOptions.None);

        var reply = await client.SendAsync(SmtpSubmissionTests.Message("from the scanner"));

        var id = reply["2.0.0 Ok: queued as ".Length..];
        var response = await _app.Authorized().GetAsync($"/v1/messages/{id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);   // the bootstrap key's account owns it
        Assert.Equal("smtp", (await TestApp.ReadJsonAsync(response)).GetProperty("source").GetString());
    }

    [Fact]
    public async Task TrustedAccountDisabled_NextSessionIsDeferredAtOnce_AndEnabledAgainIsServed()
    {
        using var app = new TestApp(new Dictionary<string, string?>
        {
            ["Roles"] = "api,smtp",
            ["Smtp:TrustedNetworks:0"] = "127.0.0.0/8",
            ["Smtp:TrustedAccount"] = "scanner",
            ["Domains:RequireVerified"] = "false",
        });
        var admin = new AdminApi(app);
        var account = await admin.CreateAccountAsync("scanner");
        var port = app.Services.GetRequiredService<SmtpBridgeHost>().SubmissionEndPoint!.Port;
        async Task<string> SendAsync()
        {
            using var client = new SmtpClient { Timeout = 15_000 };
            await client.ConnectAsync("127.0.0.1", port, SecureSocketOptions.None);
            return await client.SendAsync(SmtpSubmissionTests.Message("from the scanner"));
        }

        Assert.StartsWith("2.0.0 Ok: queued as", await SendAsync());   // the account is now cached by name
        await admin.PatchAsync(account.Id, new { disabled = true });
        var refused = await Assert.ThrowsAsync<SmtpCommandException>(SendAsync);
        // The operator's mistake, not the client's: the device is told to try again later.
        Assert.Equal(451, (int)refused.StatusCode);
        await admin.PatchAsync(account.Id, new { disabled = false });
        Assert.StartsWith("2.0.0 Ok: queued as", await SendAsync());
    }
}
