using System.Text;
using EmailApi.SmtpBridge;
using EmailApi.Tests.TestSupport;
using MailKit;
using MailKit.Security;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests;

/// <summary>Who may submit: API keys over AUTH, trusted networks without, nobody else (no open relay).</summary>
public sealed class AuthTests
{
    [Fact]
    public async Task Auth_WrongKey_Answers535_5_7_8()
    {
        await using var server = await BridgeServer.StartAsync();
        using var client = await server.ConnectAsync();

        var error = await Assert.ThrowsAsync<AuthenticationException>(() => client.AuthenticateAsync("apikey", "ea_wrong"));

        Assert.Contains("5.7.8", error.Message);
        Assert.Empty(server.Port.Submitted);
    }

    [Fact]
    public async Task Mail_WithoutAuth_Answers530_5_7_0()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var raw = await server.ConnectRawAsync();
        await raw.ReadReplyAsync();
        await raw.CommandAsync("EHLO client.test");

        Assert.Equal("530 5.7.0 Authentication required", await raw.CommandAsync("MAIL FROM:<a@example.com>"));
        Assert.StartsWith("503 5.5.1", await raw.CommandAsync("RCPT TO:<x@example.org>"));
        Assert.StartsWith("503 5.5.1", await raw.CommandAsync("DATA"));
        Assert.Empty(server.Port.Submitted);
    }

    [Fact]
    public async Task Mail_FromTrustedNetwork_SubmitsAsTrustedAccountWithoutAuth()
    {
        await using var server = await BridgeServer.StartAsync(o =>
        {
            o.TrustedNetworks = ["127.0.0.0/8"];
            o.TrustedAccount = FakeSubmissionPort.TrustedAccountName;
        });
        using var client = await server.ConnectAsync();

        await client.SendAsync(SubmissionTests.Message("from the printer", "scan attached"));

        var envelope = Assert.Single(server.Port.Submitted);
        Assert.Equal(FakeSubmissionPort.TrustedPrincipal, envelope.Principal);
        Assert.Contains(" with ESMTP id ", Encoding.ASCII.GetString(envelope.Message));
    }

    [Fact]
    public async Task Mail_FromTrustedNetworkWithUnknownAccount_Answers451NotPermanent()
    {
        await using var server = await BridgeServer.StartAsync(o =>
        {
            o.TrustedNetworks = ["127.0.0.1"];
            o.TrustedAccount = "no-such-account";
        });
        await using var raw = await server.ConnectRawAsync();
        await raw.ReadReplyAsync();
        await raw.CommandAsync("EHLO client.test");

        Assert.StartsWith("451 4.3.0", await raw.CommandAsync("MAIL FROM:<a@example.com>"));
    }

    [Fact]
    public async Task Auth_InPlaintextFromOutsidePlaintextNetworks_Answers538AndIsNotAdvertised()
    {
        await using var server = await BridgeServer.StartAsync(o => o.PlaintextAuthNetworks = ["192.0.2.0/24"]);
        await using var raw = await server.ConnectRawAsync();
        await raw.ReadReplyAsync();

        var ehlo = await raw.CommandAsync("EHLO client.test");
        var auth = await raw.CommandAsync(Sessions.AuthPlain());

        Assert.DoesNotContain("AUTH", ehlo);
        Assert.Equal("538 5.7.11 Encryption required for requested authentication mechanism; use STARTTLS first", auth);
        Assert.Equal(0, server.Port.AuthCalls);

        Assert.StartsWith("220 2.0.0", await raw.CommandAsync("STARTTLS"));
        await raw.StartTlsAsync();
        Assert.Contains("250 AUTH PLAIN LOGIN", await raw.CommandAsync("EHLO client.test"));
        Assert.StartsWith("235 2.7.0", await raw.CommandAsync(Sessions.AuthPlain()));
    }

    [Fact]
    public async Task Auth_WhenPortCannotCheck_Answers454Temporary()
    {
        await using var server = await BridgeServer.StartAsync();
        server.Port.AuthOverride = () => new AuthOutcome.Unavailable("database down");
        await using var raw = await server.ConnectRawAsync();
        await raw.ReadReplyAsync();
        await raw.CommandAsync("EHLO client.test");

        Assert.StartsWith("454 4.7.0", await raw.CommandAsync(Sessions.AuthPlain()));
    }

    [Fact]
    public async Task Auth_ThirdFailureInSession_ClosesSession()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var raw = await server.ConnectRawAsync();
        await raw.ReadReplyAsync();
        await raw.CommandAsync("EHLO client.test");

        Assert.StartsWith("535 5.7.8", await raw.CommandAsync(Sessions.AuthPlain("ea_bad1")));
        Assert.StartsWith("535 5.7.8", await raw.CommandAsync(Sessions.AuthPlain("ea_bad2")));
        Assert.StartsWith("535 5.7.8", await raw.CommandAsync(Sessions.AuthPlain("ea_bad3")));
        Assert.StartsWith("221 2.0.0", await raw.ReadReplyAsync());
        Assert.True(await raw.ClosedAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Auth_RepeatedFailuresFromOneAddress_AreLockedOutWith421ForAWhile()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2025-06-01T12:00:00Z"));
        await using var server = await BridgeServer.StartAsync(o =>
        {
            o.MaxAuthFailures = 4;
            o.AuthLockout = TimeSpan.FromMinutes(15);
        }, clock);

        for (var session = 0; session < 2; session++)
        {
            await using var raw = await server.ConnectRawAsync();
            await raw.ReadReplyAsync();
            await raw.CommandAsync("EHLO client.test");
            Assert.StartsWith("535 5.7.8", await raw.CommandAsync(Sessions.AuthPlain("ea_bad")));
            var second = await raw.CommandAsync(Sessions.AuthPlain("ea_bad"));
            if (session == 0) Assert.StartsWith("535 5.7.8", second);
            else Assert.StartsWith("421 4.7.0", second);   // the fourth failure from this address
        }

        // Locked out: even the right key is refused before it is checked.
        await using (var raw = await server.ConnectRawAsync())
        {
            await raw.ReadReplyAsync();
            await raw.CommandAsync("EHLO client.test");
            Assert.StartsWith("421 4.7.0", await raw.CommandAsync(Sessions.AuthPlain()));
            Assert.True(await raw.ClosedAsync(TimeSpan.FromSeconds(5)));
        }

        clock.Advance(TimeSpan.FromMinutes(16));
        await using (var raw = await server.ConnectRawAsync())
        {
            await raw.ReadReplyAsync();
            await raw.CommandAsync("EHLO client.test");
            Assert.StartsWith("235 2.7.0", await raw.CommandAsync(Sessions.AuthPlain()));
        }
    }

    [Fact]
    public async Task Auth_Failure_IsAnsweredOnlyAfterTheDelay()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2025-06-01T12:00:00Z"));
        await using var server = await BridgeServer.StartAsync(o => o.AuthFailureDelay = TimeSpan.FromSeconds(2), clock);
        await using var raw = await server.ConnectRawAsync();
        await raw.ReadReplyAsync();
        await raw.CommandAsync("EHLO client.test");

        await raw.SendAsync(Sessions.AuthPlain("ea_bad") + "\r\n");
        var reply = raw.ReadReplyAsync();
        // The delay is registered once the failure is recorded; advance the fake clock in small
        // steps until the reply comes. Without the delay it would come at once, long before the
        // clock had moved two seconds (20 steps).
        while (!reply.IsCompleted)
        {
            clock.Advance(TimeSpan.FromMilliseconds(100));
            await Task.WhenAny(reply, Task.Delay(20));
        }

        Assert.StartsWith("535 5.7.8", await reply);
        Assert.True(clock.GetUtcNow() >= DateTimeOffset.Parse("2025-06-01T12:00:02Z"));
    }

    [Fact]
    public async Task Ehlo_OnLoopback_AdvertisesEverythingTheIssueLists()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var raw = await server.ConnectRawAsync();

        Assert.Equal("220 bridge.test ESMTP EmailApi", await raw.ReadReplyAsync());
        var ehlo = (await raw.CommandAsync("EHLO client.test")).Split('\n');

        Assert.Equal(
            ["250-bridge.test Hello client.test [127.0.0.1]", "250-PIPELINING", "250-8BITMIME", "250-SMTPUTF8", "250-SIZE 26214400",
             "250-ENHANCEDSTATUSCODES", "250-STARTTLS", "250 AUTH PLAIN LOGIN"],
            ehlo);
    }

    [Fact]
    public async Task Ehlo_AfterStartTls_OffersAuthAndLimits()
    {
        await using var server = await BridgeServer.StartAsync();
        using var client = await server.ConnectAsync(SecureSocketOptions.StartTls);

        Assert.True(client.IsSecure);
        Assert.Contains("PLAIN", client.AuthenticationMechanisms);
        Assert.Contains("LOGIN", client.AuthenticationMechanisms);
        Assert.True(client.Capabilities.HasFlag(MailKit.Net.Smtp.SmtpCapabilities.EnhancedStatusCodes));
        Assert.Equal(26_214_400u, client.MaxSize);
    }
}
