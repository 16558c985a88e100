using System.Text;
using EmailApi.Queue;

namespace EmailApi.Tests.Queue;

public sealed class HopCountTests
{
    [Theory]
    [InlineData("Subject: x\r\n\r\nbody", 0)]
    [InlineData("Received: from a\r\n\tby b; date\r\nReceived: from c by d\r\nSubject: x\r\n\r\nbody", 2)]
    [InlineData("received: from a by b\r\nRECEIVED : from c by d\r\n\r\n", 2)]                       // any case; RFC 5322 §4.5 white space before the colon
    [InlineData("X-Received: from a by b\r\nReceived-SPF: pass\r\n\r\n", 0)]                       // other fields that merely start alike
    [InlineData("Subject: x\r\n  Received: folded into the subject\r\n\r\n", 0)]                   // a continuation line names no field
    [InlineData("Subject: x\r\n\r\nReceived: from a by b\r\n", 0)]                                 // the body is not the header
    [InlineData("Received: from a by b\nReceived: from c by d\n\nbody", 2)]                        // bare LF line endings
    public void Of_CountsReceivedFieldsOfTheHeaderOnly(string raw, int expected) =>
        Assert.Equal(expected, HopCount.Of(Encoding.ASCII.GetBytes(raw)));
}
