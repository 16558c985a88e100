using System.Text;
using EmailApi.SmtpBridge.Messages;

namespace EmailApi.Tests.Messages;

public sealed class HeaderSummaryTests
{
    [Fact]
    public void Parse_EncodedHeaders_AreDecodedForTheLog()
    {
        var summary = HeaderSummary.Parse(Encoding.ASCII.GetBytes(
            "From: =?utf-8?q?J=C3=BCrgen?= <j@example.com>\r\nSubject: =?utf-8?b?R3LDvMOfZQ==?=\r\nMessage-ID: <a@b>\r\n\r\nbody\r\n"));

        Assert.NotNull(summary);
        Assert.Equal("Jürgen <j@example.com>", summary.From);
        Assert.Equal("Grüße", summary.Subject);
        Assert.True(summary.HasMessageId);
        Assert.False(summary.HasDate);
    }

    [Fact]
    public void Parse_NoHeaders_HasNothing()
    {
        var summary = HeaderSummary.Parse(Encoding.ASCII.GetBytes("\r\njust a body\r\n"));

        Assert.NotNull(summary);
        Assert.Null(summary.From);
        Assert.Null(summary.Subject);
    }
}
