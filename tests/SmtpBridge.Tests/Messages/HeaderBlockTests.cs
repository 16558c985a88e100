using System.Text;
using EmailApi.SmtpBridge.Messages;

namespace EmailApi.Tests.Messages;

public sealed class HeaderBlockTests
{
    private static HeaderVerdict Check(string text) => HeaderBlock.Check(Encoding.Latin1.GetBytes(text));

    [Theory]
    [InlineData("From: a@example.com\r\nSubject: x\r\n\r\nbody", 35)]
    [InlineData("From: a@example.com\nSubject: x\n\nbody", 32)]
    [InlineData("From: a@example.com\r\nSubject: folded\r\n  more\r\n\r\n", 48)]
    [InlineData("From: a@example.com\r\n", 21)]
    [InlineData("Subject : obsolete space before the colon\r\n\r\n", 45)]
    public void Check_WellFormed_PassesWithBodyStart(string text, int bodyStart) =>
        Assert.Equal(new HeaderVerdict.Passed(bodyStart), Check(text));

    [Fact]
    public void Check_BareCrInsideAField_NamesTheField() =>
        Assert.Equal(new HeaderVerdict.BareCr("To"), Check("From: a@example.com\r\nTo: r@example.org\rFrom: evil@elsewhere.test\r\n\r\nx"));

    [Fact]
    public void Check_Nul_NamesTheField() =>
        Assert.Equal(new HeaderVerdict.Nul("Subject"), Check("From: a@example.com\r\nSubject: a\0b\r\n\r\nx"));

    [Fact]
    public void Check_CrlfAndBareLfMixed_IsRefused() =>
        Assert.IsType<HeaderVerdict.MixedLineEndings>(Check("From: a@example.com\r\nTo: r@example.org\nBcc: hidden@example.org\r\n\r\nx"));

    [Theory]
    [InlineData("no colon\r\n\r\n")]
    [InlineData(" starts folded\r\nFrom: a@example.com\r\n\r\n")]
    [InlineData(": no name\r\n\r\n")]
    [InlineData("Bad Name: x\r\n\r\n")]
    public void Check_LineThatIsNoField_IsMalformed(string text) => Assert.IsType<HeaderVerdict.Malformed>(Check(text));

    [Fact]
    public void Check_FieldOverLimitAcrossContinuations_NamesIt()
    {
        var text = new StringBuilder("References: <a@b>");
        while (text.Length <= HeaderBlock.MaxFieldBytes * 2) text.Append("\r\n <0123456789@example.com>");

        var verdict = Assert.IsType<HeaderVerdict.FieldTooLong>(Check(text + "\r\n\r\n"));
        Assert.Equal("References", verdict.Field);
    }

    [Fact]
    public void Check_BlockOverLimit_IsTooLarge()
    {
        var text = new StringBuilder();
        for (var i = 0; text.Length <= HeaderBlock.MaxBlockBytes; i++) text.Append($"X-{i}: {new string('v', 100)}\r\n");

        Assert.IsType<HeaderVerdict.BlockTooLarge>(Check(text + "\r\nbody"));
    }
}

public sealed class BlankFieldTests
{
    [Theory]
    [InlineData("From:\r\nSubject: x\r\n\r\nFrom: body line\r\n", "Subject: x\r\n\r\nFrom: body line\r\n")]
    [InlineData("Subject: x\r\nfrom:   \r\n \r\nDate: d\r\n\r\nbody\r\n", "Subject: x\r\nDate: d\r\n\r\nbody\r\n")]
    [InlineData("Subject: x\r\nFrom:\r\n", "Subject: x\r\n")]
    public void WithoutBlankField_RemovesOnlyTheBlankField(string message, string expected) =>
        Assert.Equal(expected, Encoding.ASCII.GetString(HeaderBlock.WithoutBlankField(Encoding.ASCII.GetBytes(message), "From")));

    [Theory]
    [InlineData("From: a@example.com\r\nSubject: x\r\n\r\nbody\r\n")]
    [InlineData("From:\r\n a@example.com\r\n\r\nbody\r\n")]
    [InlineData("Subject: no from\r\n\r\nFrom:\r\n")]
    public void WithoutBlankField_KeepsAMessageWithoutOne(string message)
    {
        var bytes = Encoding.ASCII.GetBytes(message);
        Assert.Same(bytes, HeaderBlock.WithoutBlankField(bytes, "From"));
    }
}
