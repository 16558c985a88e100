using EmailApi.SmtpBridge;
using EmailApi.Tests.Delivery;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace EmailApi.Tests.SmtpBridge;

/// <summary>
/// Issue #15, point 13: a message submitted over SMTP without a From header reaches the next server
/// with one made from the envelope sender (RFC 6409 §8.6; Postfix does the same for its own clients).
/// MimeKit writes a message nobody set a sender on with a blank "From:", which counts as none.
/// </summary>
public sealed class MissingFromTests
{
    [Fact]
    public async Task Smtp_MessageWithoutFrom_ArrivesWithFromTheEnvelopeSender()
    {
        await using var h = new DeliveryHarness(new Dictionary<string, string?> { ["Roles"] = "api,smtp,sender" });
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        var mx = h.Server("127.0.0.2");
        var bridge = h.App.Services.GetRequiredService<SmtpBridgeHost>();
        using var client = new SmtpClient { CheckCertificateRevocation = false, Timeout = 15_000 };
        client.ServerCertificateValidationCallback = (_, _, _, _) => true;
        await client.ConnectAsync(bridge.SubmissionEndPoint!.Address.ToString(), bridge.SubmissionEndPoint.Port, SecureSocketOptions.StartTls);
        await client.AuthenticateAsync("apikey", TestApp.Key);
        using var message = new MimeMessage { Subject = "cron: backup done" };
        message.Body = new TextPart("plain") { Text = "ok" };

        await client.SendAsync(message, MailboxAddress.Parse("cron@example.com"), [MailboxAddress.Parse("admin@dest.test")]);
        var received = await mx.WaitForMessageAsync(TimeSpan.FromSeconds(30));

        using var arrived = MimeMessage.Load(new MemoryStream(received.Data));
        Assert.Equal("cron@example.com", Assert.Single(arrived.From.Mailboxes).Address);
        Assert.Equal("cron: backup done", arrived.Subject);
        Assert.Single(arrived.Headers, h => h.Id == HeaderId.From);
    }
}
