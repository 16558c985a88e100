using System.Net;
using System.Text.Json;
using EmailApi.Accounts;
using EmailApi.SmtpBridge;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace EmailApi.Tests.SmtpBridge;

/// <summary>
/// The whole host (Program.cs with the smtp role) on a temp SQLite file: a message sent over SMTP
/// through a real socket is stored by the same submission service as one sent over HTTP and shows
/// up in GET /v1/messages/{id} with source "smtp".
/// </summary>
public sealed class SmtpSubmissionTests : IDisposable
{
    private readonly TestApp _app = new(new Dictionary<string, string?> { ["Roles"] = "api,smtp" });

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task Send_WithApiKeyAsPassword_IsVisibleInMessageLogAsSmtp()
    {
        using var client = await ConnectAsync(SecureSocketOptions.StartTls);
        await client.AuthenticateAsync("apikey", TestApp.Key);
        var message = Message("Über SMTP ✓");
        message.Bcc.Add(MailboxAddress.Parse("hidden@example.net"));

        var reply = await client.SendAsync(message);

        Assert.StartsWith("2.0.0 Ok: queued as ", reply);
        var id = reply["2.0.0 Ok: queued as ".Length..];
        var response = await _app.Authorized().GetAsync($"/v1/messages/{id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var view = await TestApp.ReadJsonAsync(response);
        Assert.Equal("smtp", view.GetProperty("source").GetString());
        Assert.Equal("Über SMTP ✓", view.GetProperty("subject").GetString());
        Assert.Equal("queued", view.GetProperty("status").GetString());
        Assert.Equal(["to@example.org", "hidden@example.net"],
            view.GetProperty("recipients").EnumerateArray().Select(r => r.GetProperty("email").GetString()));
    }

    [Fact]
    public async Task Send_OnImplicitTlsPort_IsQueued()
    {
        using var client = await ConnectAsync(SecureSocketOptions.SslOnConnect, implicitTls: true);
        await client.AuthenticateAsync("apikey", TestApp.Key);

        var reply = await client.SendAsync(Message("implicit"));

        Assert.StartsWith("2.0.0 Ok: queued as ", reply);
    }

    [Fact]
    public async Task Auth_KeyWithoutSendScope_IsRefused()
    {
        var store = _app.Services.GetRequiredService<IAccountStore>();
        var account = await store.FindAccountByNameAsync("default", CancellationToken.None);
        var readOnly = ApiKey.Generate();
        await store.AddKeyAsync(account!.Id, "read-only", ApiKey.Hash(readOnly), [Scopes.Read], CancellationToken.None);
        using var client = await ConnectAsync(SecureSocketOptions.StartTls);

        var error = await Assert.ThrowsAsync<AuthenticationException>(() => client.AuthenticateAsync("apikey", readOnly));

        Assert.Contains("5.7.8", error.Message);
    }

    [Fact]
    public async Task Auth_UnknownKey_IsRefused()
    {
        using var client = await ConnectAsync(SecureSocketOptions.StartTls);

        await Assert.ThrowsAsync<AuthenticationException>(() => client.AuthenticateAsync("apikey", "ea_not_a_key"));
    }

    [Fact]
    public async Task Mail_WithoutAuth_IsRefused530()
    {
        using var client = await ConnectAsync(SecureSocketOptions.None);

        var error = await Assert.ThrowsAsync<MailKit.ServiceNotAuthenticatedException>(() => client.SendAsync(Message("no auth")));

        Assert.Equal("5.7.0 Authentication required", error.Message);
    }

    private async Task<SmtpClient> ConnectAsync(SecureSocketOptions tls, bool implicitTls = false)
    {
        var bridge = _app.Services.GetRequiredService<SmtpBridgeHost>();
        var endPoint = implicitTls ? bridge.ImplicitTlsEndPoint! : bridge.SubmissionEndPoint!;
        var client = new SmtpClient { CheckCertificateRevocation = false, Timeout = 15_000 };
        client.ServerCertificateValidationCallback = (_, _, _, _) => true;
        await client.ConnectAsync(endPoint.Address.ToString(), endPoint.Port, tls);
        return client;
    }

    internal static MimeMessage Message(string subject)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Sender", "sender@example.com"));
        message.To.Add(MailboxAddress.Parse("to@example.org"));
        message.Subject = subject;
        message.Body = new TextPart("plain") { Text = "Hello over SMTP.\n" };
        return message;
    }
}
