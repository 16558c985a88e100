using System.Net;
using EmailApi.SmtpBridge;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MimeKit;

namespace EmailApi.Tests.Accounts;

/// <summary>The same limits over the SMTP door, through a real socket with MailKit as the client.</summary>
public sealed class SmtpLimitsTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2030, 5, 10, 12, 0, 10, TimeSpan.Zero));
    private readonly TestApp _app;
    private readonly AdminApi _admin;

    public SmtpLimitsTests()
    {
        _app = new TestApp(new Dictionary<string, string?> { ["Roles"] = "api,smtp", ["Domains:RequireVerified"] = "false" }, _clock);
        _admin = new AdminApi(_app);
    }

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task Smtp_OverMonthlyQuota_Answers451With471AndTheReason()
    {
        var account = await _admin.CreateAccountAsync("shop", new { monthlyQuota = 2 });
        using var client = await ConnectAsync(account.Key);
        await client.SendAsync(Message("one"));
        await client.SendAsync(Message("two"));

        var error = await Assert.ThrowsAsync<SmtpCommandException>(() => client.SendAsync(Message("three")));

        Assert.Equal(451, (int)error.StatusCode);
        Assert.StartsWith("4.7.1 Monthly quota exceeded: 2 of 2 recipients used", error.Message);
        Assert.Contains("resets at 2030-06-01T00:00:00Z", error.Message);
    }

    [Fact]
    public async Task Smtp_OverRate_Answers451With470()
    {
        var account = await _admin.CreateAccountAsync("app", new { perMinute = 1 });
        using var client = await ConnectAsync(account.Key);
        await client.SendAsync(Message("one"));

        var error = await Assert.ThrowsAsync<SmtpCommandException>(() => client.SendAsync(Message("two")));

        Assert.Equal(451, (int)error.StatusCode);
        Assert.StartsWith("4.7.0 Rate limit exceeded", error.Message);
        _clock.Advance(TimeSpan.FromMinutes(1));
        await client.SendAsync(Message("after the minute"));
    }

    [Fact]
    public async Task Smtp_SenderOutsideAllowedDomains_Answers550With571()
    {
        var account = await _admin.CreateAccountAsync("shop", new { senderDomains = new[] { "shop.example" } });
        using var client = await ConnectAsync(account.Key);

        var error = await Assert.ThrowsAsync<SmtpCommandException>(() => client.SendAsync(Message("spoof", from: "ceo@bank.example")));
        var ok = await client.SendAsync(Message("fine", from: "news@shop.example"));

        Assert.Equal(550, (int)error.StatusCode);
        Assert.StartsWith("5.7.1 The sender 'ceo@bank.example' is not in this account's sender domains", error.Message);
        Assert.StartsWith("2.0.0", ok);
    }

    [Fact]
    public async Task Smtp_DisabledAccount_CannotAuthenticate()
    {
        // Real time here: the bridge delays a failed AUTH on the clock.
        using var app = new TestApp(new Dictionary<string, string?> { ["Roles"] = "api,smtp", ["Domains:RequireVerified"] = "false" });
        var admin = new AdminApi(app);
        var account = await admin.CreateAccountAsync("shop");
        await admin.PatchAsync(account.Id, new { disabled = true });
        using var client = await ConnectAsync(null, app);

        var error = await Assert.ThrowsAsync<AuthenticationException>(() => client.AuthenticateAsync("apikey", account.Key));

        Assert.Contains("5.7.8", error.Message);
    }

    [Fact]
    public async Task BothDoors_RacingForTheLastUnits_NeverExceedTheQuota()
    {
        var account = await _admin.CreateAccountAsync("shop", new { monthlyQuota = 6 });
        var smtp = Enumerable.Range(0, 6).Select(async i =>
        {
            using var client = await ConnectAsync(account.Key);
            try
            {
                await client.SendAsync(Message($"smtp {i}"));
                return true;
            }
            catch (SmtpCommandException e) when ((int)e.StatusCode == 451)
            {
                return false;
            }
        });
        var http = Enumerable.Range(0, 6).Select(async _ => (await account.SendAsync(TestAccount.Message())).StatusCode == HttpStatusCode.Accepted);

        var accepted = await Task.WhenAll(smtp.Concat(http));

        Assert.Equal(6, accepted.Count(a => a));
        var usage = await TestApp.ReadJsonAsync(await account.Client.GetAsync("/v1/account"));
        Assert.Equal(6, usage.GetProperty("usage").GetProperty("month").GetProperty("used").GetInt64());
    }

    private async Task<SmtpClient> ConnectAsync(string? key, TestApp? app = null)
    {
        var endPoint = (app ?? _app).Services.GetRequiredService<SmtpBridgeHost>().SubmissionEndPoint!;
        var client = new SmtpClient { CheckCertificateRevocation = false, Timeout = 15_000 };
        client.ServerCertificateValidationCallback = (_, _, _, _) => true;
        await client.ConnectAsync(endPoint.Address.ToString(), endPoint.Port, SecureSocketOptions.StartTls);
        if (key is not null) await client.AuthenticateAsync("apikey", key);
        return client;
    }

    private static MimeMessage Message(string subject, string from = "sender@example.com")
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse("to@example.org"));
        message.Subject = subject;
        message.Body = new TextPart("plain") { Text = "Hello over SMTP.\n" };
        return message;
    }
}
