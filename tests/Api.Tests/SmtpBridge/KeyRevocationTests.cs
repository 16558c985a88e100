using System.Net;
using System.Net.Http.Json;
using EmailApi.SmtpBridge;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.DependencyInjection;

namespace EmailApi.Tests.SmtpBridge;

/// <summary>
/// A key revoked through the admin API stops an SMTP session that authenticated with it before
/// the revocation: AUTH happens once per connection, so the bridge checks again per transaction.
/// </summary>
public sealed class KeyRevocationTests : IDisposable
{
    private readonly TestApp _app = new(new Dictionary<string, string?> { ["Roles"] = "api,smtp" });

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task Mail_AfterKeyRevokedOverHttp_IsRefused530AndNothingQueued()
    {
        var admin = _app.Authorized();
        var accountId = (await TestApp.ReadJsonAsync(await admin.GetAsync("/v1/account"))).GetProperty("id").GetString()!;
        var created = await admin.PostAsJsonAsync($"/v1/accounts/{accountId}/keys", new { name = "mailer", scopes = new[] { "send" } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await TestApp.ReadJsonAsync(created);
        var keyId = body.GetProperty("id").GetString()!;
        var key = body.GetProperty("key").GetString()!;

        using var client = await ConnectAsync();
        await client.AuthenticateAsync("apikey", key);
        var first = await client.SendAsync(SmtpSubmissionTests.Message("before the revocation"));
        Assert.StartsWith("2.0.0 Ok: queued as ", first);

        var revoked = await admin.DeleteAsync($"/v1/accounts/{accountId}/keys/{keyId}");
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);

        // Same connection, next transaction: MAIL FROM is refused (MailKit maps 530 to this exception).
        var error = await Assert.ThrowsAsync<ServiceNotAuthenticatedException>(() => client.SendAsync(SmtpSubmissionTests.Message("after the revocation")));
        Assert.StartsWith("5.7.0 Authentication required", error.Message);
        Assert.True(client.IsConnected);

        var messages = await TestApp.ReadJsonAsync(await admin.GetAsync("/v1/messages"));
        var subjects = messages.GetProperty("items").EnumerateArray().Select(m => m.GetProperty("subject").GetString()!).ToArray();
        Assert.Equal(["before the revocation"], subjects);
    }

    private async Task<SmtpClient> ConnectAsync()
    {
        var endPoint = _app.Services.GetRequiredService<SmtpBridgeHost>().SubmissionEndPoint!;
        var client = new SmtpClient { CheckCertificateRevocation = false, Timeout = 15_000 };
        client.ServerCertificateValidationCallback = (_, _, _, _) => true;
        await client.ConnectAsync(endPoint.Address.ToString(), endPoint.Port, SecureSocketOptions.StartTls);
        return client;
    }
}
