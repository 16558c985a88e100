using System.Text.Json;
using EmailApi.Queue;
using Microsoft.Extensions.DependencyInjection;

namespace EmailApi.Tests.Delivery;

/// <summary>
/// Whatever a receiving server answers and whatever breaks on the way, every recipient ends with a
/// recorded attempt and an event: temporary unless the answer is known to be permanent. Before,
/// an answer the relay did not classify (530 to MAIL FROM, which MailKit throws as an
/// authentication exception) left recipients in <c>sending</c> with nothing recorded.
/// </summary>
public sealed class UnclassifiedFailureTests
{
    public static TheoryData<string, string, string> OddAnswers => new()
    {
        // case, the status every recipient ends in, text its last reply contains
        { "530 to MAIL FROM", "bounced", "530" },
        { "421 to MAIL FROM then hang-up", "deferred", "4" },
        { "garbage instead of the reply to the end of DATA", "deferred", "4." },
        { "2xx with garbage text to the end of DATA", "delivered", "250" },
        { "connection dropped mid-DATA", "deferred", "4.4.2" },
        { "unparsable reply to MAIL FROM", "deferred", "4." },
        { "exception inside the relay (unreadable stored message)", "deferred", "4.3.0" },
    };

    [Theory]
    [MemberData(nameof(OddAnswers))]
    public async Task Deliver_OnAnswerOrFailureNotClassifiedBefore_RecordsAnAttemptAndEventForEveryRecipient(string scenario, string status, string reply)
    {
        await using var h = new DeliveryHarness(new() { ["Delivery:RetryDelays:0"] = "01:00:00" });
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        var server = h.Server("127.0.0.2");
        switch (scenario)
        {
            case "530 to MAIL FROM": server.OnMail = _ => "530 5.7.0 Authentication required"; break;
            case "421 to MAIL FROM then hang-up": server.OnMail = _ => "421 4.3.2 Shutting down"; break;
            case "garbage instead of the reply to the end of DATA": server.OnData = _ => "hello there"; break;
            case "2xx with garbage text to the end of DATA": server.OnData = _ => "250 \u0001\u0002 ~~~"; break;
            case "connection dropped mid-DATA": server.OnData = _ => throw new IOException("the server hangs up mid-DATA"); break;
            case "unparsable reply to MAIL FROM": server.OnMail = _ => "2x5 what"; break;
        }

        string id;
        if (scenario.StartsWith("exception inside"))
        {
            // A message whose stored bytes MimeKit cannot read: the relay throws before any SMTP.
            var account = (await TestApp.ReadJsonAsync(await h.Client.GetAsync("/v1/account"))).GetProperty("id").GetString()!;
            var store = h.App.Services.GetRequiredService<IQueueStore>();
            var clock = h.App.Services.GetRequiredService<TimeProvider>();
            var messageId = MessageId.New(clock);
            await store.EnqueueAsync([new NewMessage(messageId, account, MessageSource.Api, "sender@example.com", ["a@dest.test", "b@dest.test"],
                Array.Empty<byte>(), null, "x", [], null, clock.GetUtcNow())], CancellationToken.None);
            id = messageId.ToString();
        }
        else
        {
            id = await h.SendAsync(new { from = "sender@example.com", to = new[] { "a@dest.test", "b@dest.test" }, subject = "Hello", text = "Hi" });
        }

        var message = await h.WaitForAsync(id, m => m.GetProperty("recipients").EnumerateArray().All(r => r.GetProperty("status").GetString() != "queued" && r.GetProperty("status").GetString() != "sending"),
            TimeSpan.FromSeconds(30));

        foreach (var email in new[] { "a@dest.test", "b@dest.test" })
        {
            var recipient = DeliveryHarness.Recipient(message, email);
            Assert.Equal(status, recipient.GetProperty("status").GetString());
            Assert.Equal(1, recipient.GetProperty("attempts").GetInt32());
            Assert.Contains(reply, recipient.GetProperty("lastResponse").GetString());
            Assert.Contains(message.GetProperty("events").EnumerateArray(), e => e.GetProperty("type").GetString() == status && e.GetProperty("recipient").GetString() == email);
        }
    }
}
