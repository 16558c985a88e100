using System.Text;
using EmailApi.Tests.TestSupport;
using MailKit.Net.Smtp;

namespace EmailApi.Tests;

/// <summary>The limits that protect the server: size, recipients, sessions, timeouts, line length, errors.</summary>
public sealed class LimitsTests
{
    [Fact]
    public async Task Mail_DeclaringSizeOverLimit_Answers552_5_3_4()
    {
        await using var server = await BridgeServer.StartAsync(o => o.MaxMessageBytes = 100_000);
        await using var raw = await server.LoggedInAsync();

        Assert.StartsWith("552 5.3.4", await raw.CommandAsync("MAIL FROM:<a@example.com> SIZE=100001"));
        Assert.StartsWith("552 5.3.4", await raw.CommandAsync("MAIL FROM:<a@example.com> SIZE=99999999999"));
        Assert.StartsWith("250 2.1.0", await raw.CommandAsync("MAIL FROM:<a@example.com> SIZE=99999"));
    }

    [Fact]
    public async Task Send_MailKitMessageOverSizeLimit_IsRefused552BeforeData()
    {
        await using var server = await BridgeServer.StartAsync(o => o.MaxMessageBytes = 10_000);
        using var client = await server.ConnectAsync();
        await client.AuthenticateAsync("apikey", FakeSubmissionPort.Key);
        Assert.Equal(10_000u, client.MaxSize);

        var error = await Assert.ThrowsAsync<SmtpCommandException>(() => client.SendAsync(SubmissionTests.Message("big", new string('z', 20_000))));

        Assert.Equal(SmtpStatusCode.ExceededStorageAllocation, error.StatusCode);
        Assert.Empty(server.Port.Submitted);
    }

    [Fact]
    public async Task Send_MailKitWithTooManyRecipients_Gets452ForTheExtraOnes()
    {
        await using var server = await BridgeServer.StartAsync(o => o.MaxRecipients = 2);
        using var client = await server.ConnectAsync();
        await client.AuthenticateAsync("apikey", FakeSubmissionPort.Key);
        var message = SubmissionTests.Message("many", "hi");
        message.To.Add(MimeKit.MailboxAddress.Parse("two@example.org"));
        message.Cc.Add(MimeKit.MailboxAddress.Parse("three@example.org"));

        var error = await Assert.ThrowsAsync<SmtpCommandException>(() => client.SendAsync(message));

        Assert.Equal(SmtpErrorCode.RecipientNotAccepted, error.ErrorCode);
        Assert.Equal(SmtpStatusCode.InsufficientStorage, error.StatusCode);   // 452 (RFC 5321 §4.5.3.1.10)
        Assert.Equal("three@example.org", error.Mailbox!.Address);
    }

    [Fact]
    public async Task Data_OverLimitWithoutSize_Answers552AfterReadingAllAndSessionGoesOn()
    {
        await using var server = await BridgeServer.StartAsync(o => o.MaxMessageBytes = 64 * 1024);
        await using var raw = await server.LoggedInAsync();
        await raw.StartMessageAsync();
        var line = new string('x', 998) + "\r\n";

        await raw.SendAsync("Subject: big\r\n\r\n" + string.Concat(Enumerable.Repeat(line, 300)));
        var reply = await raw.CommandAsync(".");

        Assert.Equal("552 5.3.4 Message size exceeds fixed maximum message size", reply);
        await raw.StartMessageAsync();
        Assert.StartsWith("250 2.0.0 Ok: queued as ", await raw.CommandAsync("Subject: small\r\n\r\nfits\r\n."));
        Assert.Equal(["small"], server.Port.Submitted.Select(e => e.Subject));
    }

    [Fact]
    public async Task Data_JustUnderLimit_IsQueued()
    {
        await using var server = await BridgeServer.StartAsync(o => o.MaxMessageBytes = 64 * 1024);
        await using var raw = await server.LoggedInAsync();
        await raw.StartMessageAsync();
        var header = "Subject: fits\r\n\r\n";
        var body = new StringBuilder();
        while (header.Length + body.Length + 1000 < 64 * 1024) body.Append(new string('y', 998)).Append("\r\n");

        Assert.StartsWith("250 2.0.0", await raw.CommandAsync(header + body + "."));
    }

    [Fact]
    public async Task Rcpt_BeyondLimit_Answers452_4_5_3AndQueuesTheAcceptedOnes()
    {
        await using var server = await BridgeServer.StartAsync(o => o.MaxRecipients = 3);
        await using var raw = await server.LoggedInAsync();
        await raw.CommandAsync("MAIL FROM:<a@example.com>");

        var replies = new List<string>();
        for (var i = 1; i <= 5; i++) replies.Add(await raw.CommandAsync($"RCPT TO:<r{i}@example.org>"));
        await raw.CommandAsync("DATA");
        var queued = await raw.CommandAsync("Subject: many\r\n\r\nhi\r\n.");

        Assert.Equal(["250 2.1.5", "250 2.1.5", "250 2.1.5", "452 4.5.3", "452 4.5.3"], replies.Select(r => r[..9]));
        Assert.StartsWith("250 2.0.0", queued);
        Assert.Equal(["r1@example.org", "r2@example.org", "r3@example.org"], Assert.Single(server.Port.Submitted).Recipients);

        // The count starts again with the next transaction.
        await raw.CommandAsync("MAIL FROM:<a@example.com>");
        Assert.StartsWith("250 2.1.5", await raw.CommandAsync("RCPT TO:<r4@example.org>"));
    }

    [Fact]
    public async Task Connect_BeyondMaxSessions_Answers421_4_7_0()
    {
        await using var server = await BridgeServer.StartAsync(o => o.MaxSessions = 2);
        await using var first = await server.ConnectRawAsync();
        await using var second = await server.ConnectRawAsync();
        await first.ReadReplyAsync();
        await second.ReadReplyAsync();

        await using (var third = await server.ConnectRawAsync())
        {
            Assert.Equal("421 4.7.0 Too many connections; try again later", await third.ReadReplyAsync());
            Assert.True(await third.ClosedAsync(TimeSpan.FromSeconds(5)));
        }

        await first.CommandAsync("QUIT");
        await WaitUntil(() => server.Host.OpenSessions < 2);
        await using var fourth = await server.ConnectRawAsync();
        Assert.StartsWith("220 ", await fourth.ReadReplyAsync());
    }

    [Fact]
    public async Task Session_SilentClient_IsClosedWith421_4_4_2()
    {
        await using var server = await BridgeServer.StartAsync(o => o.IdleTimeout = TimeSpan.FromMilliseconds(300));
        await using var raw = await server.ConnectRawAsync();
        await raw.ReadReplyAsync();

        Assert.Equal("421 4.4.2 Idle timeout; closing connection", await raw.ReadReplyAsync());
        Assert.True(await raw.ClosedAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Data_ClientStallsMidBody_IsClosedWith421_4_4_2()
    {
        await using var server = await BridgeServer.StartAsync(o => o.IdleTimeout = TimeSpan.FromMilliseconds(500));
        await using var raw = await server.LoggedInAsync();
        await raw.StartMessageAsync();

        await raw.SendAsync("Subject: stalled\r\n\r\nhalf a bo");

        Assert.Equal("421 4.4.2 Idle timeout; closing connection", await raw.ReadReplyAsync());
        Assert.True(await raw.ClosedAsync(TimeSpan.FromSeconds(5)));
        Assert.Empty(server.Port.Submitted);
    }

    [Fact]
    public async Task Command_DrippedSlowerThanCommandTimeout_IsClosedWith421_4_4_2()
    {
        await using var server = await BridgeServer.StartAsync(o =>
        {
            o.CommandTimeout = TimeSpan.FromMilliseconds(1000);
            o.IdleTimeout = TimeSpan.FromSeconds(30);
        });
        await using var raw = await server.ConnectRawAsync();
        await raw.ReadReplyAsync();

        // A byte every 100 ms, never a whole line: the idle timer (30 s) stays far away, the command
        // timeout does not. On a loaded machine the drip may outlast the timeout, and a write to the
        // closed connection fails; the reply is already on its way either way.
        try
        {
            foreach (var c in "NOO")
            {
                await raw.SendAsync(c.ToString());
                await Task.Delay(100);
            }
        }
        catch (IOException)
        {
        }

        Assert.StartsWith("421 4.4.2", await raw.ReadReplyAsync());
    }

    [Fact]
    public async Task Command_LongerThanMaxLine_Answers500AndCloses()
    {
        await using var server = await BridgeServer.StartAsync(o => o.MaxLineLength = 1000);
        await using var raw = await server.ConnectRawAsync();
        await raw.ReadReplyAsync();

        await raw.SendAsync("EHLO " + new string('a', 5000));

        Assert.Equal("500 5.5.2 Line too long", await raw.ReadReplyAsync());
        Assert.True(await raw.ClosedAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Session_WithTooManyErrors_IsClosedWith421_4_7_0()
    {
        await using var server = await BridgeServer.StartAsync(o => o.MaxErrors = 3);
        await using var raw = await server.ConnectRawAsync();
        await raw.ReadReplyAsync();

        Assert.StartsWith("502 5.5.1", await raw.CommandAsync("VRFY root"));
        Assert.StartsWith("503 5.5.1", await raw.CommandAsync("MAIL FROM:<a@example.com>"));
        Assert.StartsWith("502 5.5.1", await raw.CommandAsync("EXPN staff"));
        Assert.Equal("421 4.7.0 Too many errors; closing connection", await raw.ReadReplyAsync());
        Assert.True(await raw.ClosedAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Stop_WithIdleSession_Answers421_4_3_2()
    {
        var server = await BridgeServer.StartAsync();
        await using var raw = await server.LoggedInAsync();

        var stopping = server.DisposeAsync().AsTask();

        Assert.StartsWith("421 4.3.2", await raw.ReadReplyAsync());
        await stopping;
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition()) await Task.Delay(20, timeout.Token);
    }
}
