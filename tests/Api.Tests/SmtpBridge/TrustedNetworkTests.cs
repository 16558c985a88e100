using System.Net;
using EmailApi.SmtpBridge;
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
}
