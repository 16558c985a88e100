using System.Text;
using EmailApi.SmtpBridge;
using EmailApi.Tests.TestSupport;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace EmailApi.Tests;

/// <summary>Whole submissions through a real socket with MailKit as the client, checked by parsing the queued bytes back.</summary>
public sealed class SubmissionTests
{
    [Fact]
    public async Task Send_WithAuthPlain_QueuesEnvelopeAndIntactMessage()
    {
        await using var server = await BridgeServer.StartAsync();
        using var client = await server.ConnectAsync();
        await client.AuthenticateAsync(new SaslMechanismPlain("apikey", FakeSubmissionPort.Key));
        var message = Message("Plain AUTH ✓ Grüße", "Hello over PLAIN.\r\nA line with a dot:\r\n.\r\nend\r\n");
        message.Bcc.Add(MailboxAddress.Parse("hidden@example.net"));

        var reply = await client.SendAsync(message);

        var envelope = Assert.Single(server.Port.Submitted);
        Assert.Equal($"2.0.0 Ok: queued as {envelope.MessageId}", reply);
        Assert.Equal(FakeSubmissionPort.KeyPrincipal, envelope.Principal);
        Assert.Equal("sender@example.com", envelope.MailFrom);
        Assert.Equal(["to@example.org", "hidden@example.net"], envelope.Recipients);
        Assert.Equal("Plain AUTH ✓ Grüße", envelope.Subject);
        Assert.Equal("Sender <sender@example.com>", envelope.HeaderFrom);

        var queued = Parse(envelope.Message);
        Assert.Equal("Received", queued.Headers[0].Field);
        Assert.Matches(@"^from \S+ \(\[127\.0\.0\.1\]\)\s+by bridge\.test \(EmailApi\) with ESMTPA id " + envelope.MessageId + @";\s+\w{3}, ", queued.Headers[0].Value);
        Assert.Equal(message.MessageId, queued.MessageId);
        Assert.Equal("Plain AUTH ✓ Grüße", queued.Subject);
        Assert.Empty(queued.Bcc);
        Assert.Equal("Hello over PLAIN.\r\nA line with a dot:\r\n.\r\nend\r\n", queued.TextBody!.Replace("\r\n", "\n").Replace("\n", "\r\n"));
        Assert.EndsWith("\r\n", Encoding.ASCII.GetString(envelope.Message));
    }

    [Fact]
    public async Task Send_WithAuthLogin_Queues()
    {
        await using var server = await BridgeServer.StartAsync();
        using var client = await server.ConnectAsync();
        await client.AuthenticateAsync(new SaslMechanismLogin("apikey", FakeSubmissionPort.Key));

        await client.SendAsync(Message("login", "body"));

        Assert.Equal(FakeSubmissionPort.KeyPrincipal, Assert.Single(server.Port.Submitted).Principal);
    }

    [Fact]
    public async Task Send_AfterStartTls_RecordsTlsInReceived()
    {
        await using var server = await BridgeServer.StartAsync();
        using var client = await server.ConnectAsync(SecureSocketOptions.StartTls);
        Assert.True(client.IsSecure);
        await client.AuthenticateAsync("apikey", FakeSubmissionPort.Key);

        await client.SendAsync(Message("tls", "body"));

        var received = Parse(Assert.Single(server.Port.Submitted).Message).Headers[0].Value;
        Assert.Contains(" with ESMTPSA id ", received);
        Assert.Matches(@"\(using TLSv1\.[23] with cipher \w+\);", received);
    }

    [Fact]
    public async Task Send_OnImplicitTlsPort_IsEncryptedFromTheFirstByte()
    {
        await using var server = await BridgeServer.StartAsync();
        using var client = await server.ConnectAsync(SecureSocketOptions.SslOnConnect, implicitTls: true);
        Assert.True(client.IsSecure);
        Assert.True(client.Capabilities.HasFlag(SmtpCapabilities.Authentication));
        await client.AuthenticateAsync("apikey", FakeSubmissionPort.Key);

        await client.SendAsync(Message("implicit", "body"));

        Assert.Contains(" with ESMTPSA id ", Parse(Assert.Single(server.Port.Submitted).Message).Headers[0].Value);
    }

    [Fact]
    public async Task Send_ManyMessagesInOneSession_QueuesEachOnce()
    {
        await using var server = await BridgeServer.StartAsync();
        using var client = await server.ConnectAsync();
        await client.AuthenticateAsync("apikey", FakeSubmissionPort.Key);

        for (var i = 0; i < 20; i++)
            await client.SendAsync(Message($"message {i}", $"body {i}"));

        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"message {i}"), server.Port.Submitted.Select(e => e.Subject));
        Assert.Equal(20, server.Port.Submitted.Select(e => e.MessageId).Distinct().Count());
    }

    [Fact]
    public async Task Send_PipelinedBatchInOneWrite_AnswersEachCommandInOrder()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var raw = await server.ConnectRawAsync();
        await raw.ReadReplyAsync();
        await raw.CommandAsync("EHLO client.test");
        await raw.CommandAsync("AUTH PLAIN " + Convert.ToBase64String(Encoding.UTF8.GetBytes("\0apikey\0" + FakeSubmissionPort.Key)));

        // RFC 2920: everything up to DATA in one write, then both bodies and a QUIT in another.
        await raw.SendAsync("MAIL FROM:<a@example.com>\r\nRCPT TO:<x@example.org>\r\nRCPT TO:<y@example.org>\r\nDATA\r\n");
        var replies = new List<string>();
        for (var i = 0; i < 4; i++) replies.Add(await raw.ReadReplyAsync());
        await raw.SendAsync("Subject: one\r\n\r\nfirst\r\n.\r\nMAIL FROM:<b@example.com>\r\nRCPT TO:<z@example.org>\r\nDATA\r\n");
        for (var i = 0; i < 4; i++) replies.Add(await raw.ReadReplyAsync());
        await raw.SendAsync("Subject: two\r\n\r\nsecond\r\n.\r\nQUIT\r\n");
        replies.Add(await raw.ReadReplyAsync());
        replies.Add(await raw.ReadReplyAsync());

        Assert.Equal(["250 2.1.0", "250 2.1.5", "250 2.1.5", "354", "250 2.0.0", "250 2.1.0", "250 2.1.5", "354", "250 2.0.0", "221 2.0.0"],
            replies.Select(r => r.StartsWith("354", StringComparison.Ordinal) ? "354" : r[..9]));
        Assert.Equal(["one", "two"], server.Port.Submitted.Select(e => e.Subject));
        Assert.Equal(["x@example.org", "y@example.org"], server.Port.Submitted.First().Recipients);
        Assert.EndsWith("\r\n\r\nfirst\r\n", Encoding.ASCII.GetString(server.Port.Submitted.First().Message));
    }

    [Fact]
    public async Task Send_WithoutMessageIdAndDate_AddsBoth()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var raw = await server.ConnectRawAsync();
        await raw.ReadReplyAsync();
        await raw.CommandAsync("EHLO client.test");
        await raw.CommandAsync("AUTH PLAIN " + Convert.ToBase64String(Encoding.UTF8.GetBytes("\0apikey\0" + FakeSubmissionPort.Key)));
        await raw.CommandAsync("MAIL FROM:<a@example.com>");
        await raw.CommandAsync("RCPT TO:<x@example.org>");
        await raw.CommandAsync("DATA");

        var reply = await raw.CommandAsync("From: a@example.com\r\nSubject: bare\r\n\r\nno ids here\r\n.");

        Assert.StartsWith("250 2.0.0 Ok: queued as ", reply);
        var envelope = Assert.Single(server.Port.Submitted);
        var queued = Parse(envelope.Message);
        Assert.Equal($"{envelope.MessageId}@bridge.test", queued.MessageId);
        Assert.NotEqual(DateTimeOffset.MinValue, queued.Date);
        Assert.Equal(["Received", "Message-ID", "Date", "From", "Subject"], queued.Headers.Select(h => h.Field));
    }

    [Fact]
    public async Task Send_WithSmtpUtf8And8BitBody_KeepsBytes()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var raw = await server.ConnectRawAsync();
        await raw.ReadReplyAsync();
        await raw.CommandAsync("EHLO client.test");
        await raw.CommandAsync("AUTH PLAIN " + Convert.ToBase64String(Encoding.UTF8.GetBytes("\0apikey\0" + FakeSubmissionPort.Key)));
        await raw.CommandAsync("MAIL FROM:<a@example.com> BODY=8BITMIME SMTPUTF8");
        await raw.CommandAsync("RCPT TO:<x@example.org>");
        await raw.CommandAsync("DATA");
        const string content = "From: Jürgen <a@example.com>\r\nSubject: Grüße ✓\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\näöü € 8-bit body\r\n";

        await raw.CommandAsync(content + ".");

        var envelope = Assert.Single(server.Port.Submitted);
        Assert.Equal("Grüße ✓", envelope.Subject);
        Assert.EndsWith(content, Encoding.UTF8.GetString(envelope.Message));
        Assert.Contains(" with UTF8SMTPA id ", Encoding.UTF8.GetString(envelope.Message));
    }

    internal static MimeMessage Message(string subject, string text)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Sender", "sender@example.com"));
        message.To.Add(MailboxAddress.Parse("to@example.org"));
        message.Subject = subject;
        message.Body = new TextPart("plain") { Text = text };
        return message;
    }

    internal static MimeMessage Parse(byte[] bytes)
    {
        using var stream = new MemoryStream(bytes);
        return MimeMessage.Load(stream);
    }
}
