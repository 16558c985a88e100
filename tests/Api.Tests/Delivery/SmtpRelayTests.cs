using System.Net;
using EmailApi.Delivery;
using EmailApi.Queue;
using EmailApi.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EmailApi.Tests.Delivery;

/// <summary>
/// <see cref="SmtpRelay"/> alone (no queue, no sender loop): envelopes handed to it directly, a
/// scripted SMTP server per case and a real DNS server on loopback; each case asserts the outcome
/// per recipient, the reply as its parts, and the dialogue the server saw (chasquid's
/// courier/smtp_test.go, as a table).
/// </summary>
public sealed class SmtpRelayTests
{
    private static readonly byte[] Raw = "From: sender@example.com\r\nTo: user@dest.test\r\nSubject: t\r\nMessage-ID: <t@relay.test>\r\n\r\nbody\r\n"u8.ToArray();

    /// <summary>The host without its sender loop (nothing but the test calls the relay), dest.test's MX at 127.0.0.2.</summary>
    private static DeliveryHarness Harness(Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Roles"] = "sender",
            ["Delivery:CommandTimeout"] = "00:00:01",
            ["Delivery:ConnectTimeout"] = "00:00:02",
            ["Delivery:GreetingTimeout"] = "00:00:02",
            // Every delivery opens its own connection, so each case's dialogue is whole.
            ["Delivery:ConnectionCacheTime"] = "00:00:00",
        };
        foreach (var (key, value) in extra ?? []) settings[key] = value;
        var h = new DeliveryHarness(settings, services: s =>
        {
            foreach (var worker in s.Where(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(DeliveryWorker)).ToArray())
                s.Remove(worker);
        });
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        return h;
    }

    private static Task<IReadOnlyList<RecipientOutcome>> DeliverAsync(DeliveryHarness h, params string[] recipients) =>
        DeliverAsync(h.App.Services.GetRequiredService<SmtpRelay>(), recipients);

    private static async Task<IReadOnlyList<RecipientOutcome>> DeliverAsync(SmtpRelay relay, params string[] recipients)
    {
        var message = new QueuedMessage(MessageId.New(TimeProvider.System), "account", MessageSource.Api, "sender@example.com", Raw, DateTimeOffset.UtcNow);
        var leased = recipients.Select((r, i) => new LeasedRecipient(i + 1, message.Id, r, "dest.test", 0)).ToArray();
        return await relay.DeliverAsync("dest.test", [new Envelope(message, leased)], CancellationToken.None);
    }

    /// <summary>Every class of answer at every step: what it means for the recipient, and the reply kept as its parts.</summary>
    [Theory]
    [InlineData("DATA", "250 2.0.0 Ok: queued as X1", nameof(DeliveryOutcome.Delivered), 250, "2.0.0", "Ok: queued as X1")]
    [InlineData("DATA", "250 Ok", nameof(DeliveryOutcome.Delivered), 250, null, "Ok")]
    [InlineData("RCPT", "550 5.1.1 No such user", nameof(DeliveryOutcome.Bounced), 550, "5.1.1", "No such user")]
    [InlineData("RCPT", "550 No such user here", nameof(DeliveryOutcome.Bounced), 550, null, "No such user here")]
    [InlineData("RCPT", "450 4.2.1 Mailbox busy", nameof(DeliveryOutcome.Deferred), 450, "4.2.1", "Mailbox busy")]
    // RFC 5321 §4.5.3.1.10: 552 to RCPT means too many recipients, so temporary; at DATA it is permanent.
    [InlineData("RCPT", "552 5.2.2 Too many recipients", nameof(DeliveryOutcome.Deferred), 552, "5.2.2", "Too many recipients")]
    [InlineData("DATA", "552 5.3.4 Message too big", nameof(DeliveryOutcome.Bounced), 552, "5.3.4", "Message too big")]
    [InlineData("DATA", "554 5.7.1 Rejected as spam", nameof(DeliveryOutcome.Bounced), 554, "5.7.1", "Rejected as spam")]
    [InlineData("DATA", "451 4.3.0 Try again later", nameof(DeliveryOutcome.Deferred), 451, "4.3.0", "Try again later")]
    [InlineData("MAIL", "451 4.7.1 Greylisted", nameof(DeliveryOutcome.Deferred), 451, "4.7.1", "Greylisted")]
    [InlineData("MAIL", "553 5.1.8 Sender domain rejected", nameof(DeliveryOutcome.Bounced), 553, "5.1.8", "Sender domain rejected")]
    [InlineData("GREETING", "421 4.3.2 Too busy", nameof(DeliveryOutcome.Deferred), 421, "4.3.2", "mx.dest.test said: Too busy")]
    // A 554 greeting says "no SMTP service here": like Postfix, that host is skipped, not the message refused.
    [InlineData("GREETING", "554 5.3.2 No service", nameof(DeliveryOutcome.Deferred), 554, "5.3.2", "mx.dest.test said: No service")]
    public async Task Deliver_ScriptedReply_GivesItsOutcome(string step, string reply, string outcome, int code, string? status, string text)
    {
        await using var h = Harness();
        var server = h.Server("127.0.0.2");
        switch (step)
        {
            case "GREETING": server.Greeting = reply; break;
            case "MAIL": server.OnMail = _ => reply; break;
            case "RCPT": server.OnRcpt = _ => reply; break;
            case "DATA": server.OnData = _ => reply; break;
        }

        var result = Assert.Single(await DeliverAsync(h, "user@dest.test"));

        Assert.Equal(outcome, result.Outcome.GetType().Name);
        Assert.Equal(new SmtpReply(code, status, text), result.Outcome.Reply);
        Assert.Equal("mx.dest.test", result.Outcome.Mx);
        // Nothing is sent past a refusal: no DATA after a refused RCPT or MAIL, no MAIL after a refused greeting.
        var transcript = server.Transcript;
        if (step is "GREETING") Assert.DoesNotContain(transcript, l => l.StartsWith("C: MAIL", StringComparison.Ordinal));
        if (step is "MAIL" or "RCPT") Assert.DoesNotContain("C: DATA", transcript);
        Assert.Equal(outcome == nameof(DeliveryOutcome.Delivered) ? 1 : 0, server.Messages.Count);
        // With no connection cache, the relay leaves nothing open behind it.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (server.OpenConnections > 0) await Task.Delay(20, timeout.Token);
    }

    [Fact]
    public async Task Deliver_OneRecipientRefused_BouncesOnlyThatOne()
    {
        await using var h = Harness();
        var server = h.Server("127.0.0.2");
        server.OnRcpt = to => to.Contains("gone@", StringComparison.Ordinal) ? "550 5.1.1 No such user" : "250 2.1.5 Ok";

        var results = await DeliverAsync(h, "gone@dest.test", "here@dest.test");

        Assert.IsType<DeliveryOutcome.Bounced>(results.Single(r => r.Recipient.Address == "gone@dest.test").Outcome);
        Assert.IsType<DeliveryOutcome.Delivered>(results.Single(r => r.Recipient.Address == "here@dest.test").Outcome);
        Assert.Equal(["here@dest.test"], Assert.Single(server.Messages).Recipients);
    }

    [Fact]
    public async Task Deliver_EveryRecipientDeferredAtRcpt_KeepsTheirOwn4xxNotMailKitsSynthetic554()
    {
        await using var h = Harness();
        h.Server("127.0.0.2").OnRcpt = _ => "451 4.7.1 Greylisted";

        var results = await DeliverAsync(h, "a@dest.test", "b@dest.test");

        Assert.All(results, r =>
        {
            var deferred = Assert.IsType<DeliveryOutcome.Deferred>(r.Outcome);
            Assert.Equal((451, "4.7.1"), (deferred.Reply.Code, deferred.Reply.EnhancedStatus));
        });
    }

    /// <summary>Trouble below SMTP: no server answered, so the reply is our own verdict (no code) and the recipient is deferred.</summary>
    [Theory]
    [InlineData("refused", "4.4.1", "Connection to mx.dest.test failed: ConnectionRefused")]
    [InlineData("dropped", "4.4.2", "Connection to mx.dest.test lost")]
    [InlineData("timeout", "4.4.2", "Connection to mx.dest.test timed out")]
    [InlineData("tls-required-not-offered", "4.7.4", "TLS is required but mx.dest.test does not offer STARTTLS")]
    [InlineData("tls-required-broken", "4.7.5", "TLS handshake with mx.dest.test failed")]
    public async Task Deliver_TransportFailure_DefersWithOurOwnVerdict(string fault, string status, string text)
    {
        var requireTls = fault.StartsWith("tls-required", StringComparison.Ordinal);
        await using var h = Harness(requireTls ? new() { ["Delivery:Destinations:dest.test:Tls"] = "Require" } : null);
        var server = fault == "refused" ? null : h.Server("127.0.0.2");   // "refused": nothing listens on 127.0.0.2
        switch (fault)
        {
            case "dropped":
                server!.DropAtMail = 1;
                break;
            case "timeout":
                server!.StallInData = true;
                break;
            case "tls-required-broken":
                server!.OfferStartTls = true;
                server.BreakTls = true;
                break;
        }

        var result = Assert.Single(await DeliverAsync(h, "user@dest.test"));

        var deferred = Assert.IsType<DeliveryOutcome.Deferred>(result.Outcome);
        Assert.Null(deferred.Reply.Code);
        Assert.Equal(status, deferred.Reply.EnhancedStatus);
        Assert.StartsWith(text, deferred.Reply.Text, StringComparison.Ordinal);
        Assert.Empty(server?.Messages ?? []);
    }

    /// <summary>
    /// A server that pauses before its greeting (a tarpit, a greet delay against spam bots) longer
    /// than the TCP connect timeout is slow, not unreachable: its greeting gets GreetingTimeout, as
    /// Postfix's smtp_helo_timeout gives it, and the message is delivered. Before, the connect
    /// timeout covered the greeting too, and such a server never got its mail.
    /// </summary>
    [Fact]
    public async Task Deliver_GreetingSlowerThanTheConnectTimeout_IsWaitedForAndDelivered()
    {
        await using var h = Harness(new() { ["Delivery:ConnectTimeout"] = "00:00:01", ["Delivery:GreetingTimeout"] = "00:00:20", ["Delivery:CommandTimeout"] = "00:00:20" });
        var server = h.Server("127.0.0.2");
        server.GreetingDelay = TimeSpan.FromSeconds(2);

        var result = Assert.Single(await DeliverAsync(h, "user@dest.test"));

        Assert.IsType<DeliveryOutcome.Delivered>(result.Outcome);
        Assert.Single(server.Messages);
    }

    [Fact]
    public async Task Deliver_BrokenTlsWhenOpportunistic_FallsBackToPlaintextAndDelivers()
    {
        await using var h = Harness();
        var server = h.Server("127.0.0.2");
        server.OfferStartTls = true;
        server.BreakTls = true;

        var result = Assert.Single(await DeliverAsync(h, "user@dest.test"));

        var delivered = Assert.IsType<DeliveryOutcome.Delivered>(result.Outcome);
        Assert.Null(delivered.Tls);
        Assert.False(Assert.Single(server.Messages).OverTls);
    }

    [Fact]
    public async Task Deliver_FirstMxRefusesTheConnection_TriesTheNext()
    {
        await using var h = Harness();
        h.Dns.Mx("dest.test", 20, "backup.dest.test").A("backup.dest.test", "127.0.0.3");
        var backup = h.Server("127.0.0.3");   // nothing listens on 127.0.0.2

        var result = Assert.Single(await DeliverAsync(h, "user@dest.test"));

        Assert.IsType<DeliveryOutcome.Delivered>(result.Outcome);
        Assert.Equal("backup.dest.test", result.Outcome.Mx);
        Assert.Single(backup.Messages);
    }

    [Fact]
    public async Task Deliver_NullMx_FailsWithoutDialling()
    {
        await using var h = Harness();
        h.Dns.Clear("dest.test");
        h.Dns.NullMx("dest.test");
        var server = h.Server("127.0.0.2");

        var result = Assert.Single(await DeliverAsync(h, "user@dest.test"));

        var failed = Assert.IsType<DeliveryOutcome.Failed>(result.Outcome);
        Assert.Equal((null, "5.1.10"), (failed.Reply.Code, failed.Reply.EnhancedStatus));
        Assert.Equal(0, server.ConnectionCount);
    }
}
