using System.Buffers;
using System.Text;
using EmailApi.SmtpBridge.Messages;

namespace EmailApi.Tests.Messages;

public sealed class LineEndingsTests
{
    [Theory]
    [InlineData("a\r\nb\r\nc", false)]
    [InlineData("", false)]
    [InlineData("no line ending", false)]
    [InlineData("a\nb", true)]
    [InlineData("\nstart", true)]
    [InlineData("a\rb", true)]
    [InlineData("ends with cr\r", true)]
    [InlineData("a\r\n.\nb", true)]
    [InlineData("a\n.\r\nb", true)]
    [InlineData("a\r\r\nb", true)]
    [InlineData("a\r\n\r\n\r\nb", false)]
    public void HasBareCrOrLf_OneSegment(string text, bool expected) =>
        Assert.Equal(expected, LineEndings.HasBareCrOrLf(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(text))));

    [Theory]
    [InlineData("a\r", "\nb", false)]
    [InlineData("a\r", "b", true)]
    [InlineData("a", "\nb", true)]
    [InlineData("a\r\n", "\r\nb", false)]
    [InlineData("a\r", "", true)]
    public void HasBareCrOrLf_AcrossSegments(string first, string second, bool expected) =>
        Assert.Equal(expected, LineEndings.HasBareCrOrLf(Segments(first, second)));

    private static ReadOnlySequence<byte> Segments(string first, string second)
    {
        var head = new Segment(Encoding.ASCII.GetBytes(first), 0);
        var tail = head.Append(Encoding.ASCII.GetBytes(second));
        return new ReadOnlySequence<byte>(head, 0, tail, tail.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] data, long index)
        {
            Memory = data;
            RunningIndex = index;
        }

        public Segment Append(byte[] data)
        {
            var next = new Segment(data, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
