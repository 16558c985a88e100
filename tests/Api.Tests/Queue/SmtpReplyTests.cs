using EmailApi.Mail;
using EmailApi.Queue;
using MimeKit;

namespace EmailApi.Tests.Queue;

public sealed class SmtpReplyTests
{
    /// <summary>A server's reply read once into its parts (RFC 3463 §2: the status must have the reply code's class).</summary>
    [Theory]
    [InlineData(550, "5.1.1 No such user", "5.1.1", "No such user", "550 5.1.1 No such user")]
    [InlineData(550, "No such user", null, "No such user", "550 No such user")]
    [InlineData(451, "4.7.1 Greylisted,\ncome back later", "4.7.1", "Greylisted, come back later", "451 4.7.1 Greylisted, come back later")]
    [InlineData(550, "4.7.1 Wrong class", null, "4.7.1 Wrong class", "550 4.7.1 Wrong class")]
    [InlineData(250, "2.0.0", "2.0.0", "", "250 2.0.0")]
    [InlineData(550, "5.1.1234 Too long a detail", null, "5.1.1234 Too long a detail", "550 5.1.1234 Too long a detail")]
    [InlineData(554, "5.x.1 Not digits", null, "5.x.1 Not digits", "554 5.x.1 Not digits")]
    public void FromServer_SplitsCodeStatusAndText(int code, string text, string? status, string rest, string line)
    {
        var reply = SmtpReply.FromServer(code, text);

        Assert.Equal((code, status, rest), (reply.Code, reply.EnhancedStatus, reply.Text));
        Assert.Equal(line, reply.ToString());
    }

    [Theory]
    [InlineData(550, "5.1.1", true)]
    [InlineData(550, "5.7.1", false)]   // policy, not the address
    [InlineData(550, null, true)]       // a bare 550/551/553 says the mailbox
    [InlineData(551, null, true)]
    [InlineData(554, null, false)]
    [InlineData(552, "5.2.2", false)]
    public void IsBadAddress_FromTheParts(int code, string? status, bool bad) =>
        Assert.Equal(bad, new SmtpReply(code, status, "x").IsBadAddress);

    [Fact]
    public void Local_HasNoCodeAndItsClassFromTheStatus()
    {
        var reply = SmtpReply.Local("4.4.1", "No MX host could be reached");

        Assert.Equal((null, 4, false), (reply.Code, reply.Class, reply.Permanent));
        Assert.Equal("4.4.1 No MX host could be reached", reply.ToString());
    }

    [Fact]
    public void Dsn_ServerReplyIsTheDiagnostic_OurVerdictIsAReason()
    {
        var original = new QueuedMessage(MessageId.New(TimeProvider.System), "account", MessageSource.Smtp, "shop@origin.test",
            "From: shop@origin.test\r\nSubject: Hi\r\n\r\nx\r\n"u8.ToArray(), DateTimeOffset.UtcNow);

        var dsn = BounceNotification.Create(original,
        [
            new BounceNotification.FailedRecipient("a@dest.test", SmtpReply.FromServer(550, "No such user"), "mx.dest.test", true),
            new BounceNotification.FailedRecipient("b@dest.test", SmtpReply.Local("5.4.7", "Gave up after 9 attempts"), "mx.dest.test", true),
        ], "relay.test", TimeProvider.System);

        using var message = MimeMessage.Load(new MemoryStream(dsn.Raw));
        var groups = message.BodyParts.OfType<MessageDeliveryStatus>().Single().StatusGroups.Skip(1).ToArray();
        Assert.Equal(("5.0.0", "smtp; 550 No such user", null), (groups[0]["Status"], groups[0]["Diagnostic-Code"], groups[0]["X-Reason"]));
        Assert.Equal(("5.4.7", null, "5.4.7 Gave up after 9 attempts"), (groups[1]["Status"], groups[1]["Diagnostic-Code"], groups[1]["X-Reason"]));
    }
}
