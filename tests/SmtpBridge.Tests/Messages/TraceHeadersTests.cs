using System.Net;
using System.Text;
using EmailApi.SmtpBridge.Messages;

namespace EmailApi.Tests.Messages;

public sealed class TraceHeadersTests
{
    private static readonly DateTimeOffset At = DateTimeOffset.Parse("2025-06-01T12:34:56Z");

    [Theory]
    [InlineData(true, false, false, null, "ESMTP")]
    [InlineData(true, false, true, null, "ESMTPA")]
    [InlineData(true, false, false, "TLSv1.3", "ESMTPS")]
    [InlineData(true, false, true, "TLSv1.3", "ESMTPSA")]
    [InlineData(true, true, true, "TLSv1.3", "UTF8SMTPSA")]
    [InlineData(false, false, false, null, "SMTP")]
    public void Protocol_FollowsRfc3848(bool extended, bool utf8, bool authenticated, string? tls, string expected) =>
        Assert.Equal(expected, TraceHeaders.Protocol(Trace("client.test", IPAddress.Loopback) with { Extended = extended, Utf8 = utf8, Authenticated = authenticated, Tls = tls }));

    [Fact]
    public void Build_MessageWithIdAndDate_AddsOnlyReceived()
    {
        var text = Encoding.ASCII.GetString(TraceHeaders.Build(Trace("client.test", IPAddress.Loopback), new HeaderSummary(null, null, true, true), ""));

        Assert.Equal("Received: from client.test ([127.0.0.1])\r\n\tby relay.test (EmailApi) with ESMTPA id 0197-id;\r\n\tSun, 01 Jun 2025 12:34:56 +0000\r\n", text);
    }

    [Fact]
    public void Build_MessageWithoutIdAndDate_AddsBoth()
    {
        var text = Encoding.ASCII.GetString(TraceHeaders.Build(Trace("client.test", IPAddress.Loopback), new HeaderSummary(null, null, false, false), ""));

        Assert.EndsWith("Message-ID: <0197-id@relay.test>\r\nDate: Sun, 01 Jun 2025 12:34:56 +0000\r\n", text);
    }

    [Theory]
    [InlineData("[192.0.2.1]", "from [192.0.2.1] ")]
    [InlineData("192.0.2.1", "from [192.0.2.1] ")]
    [InlineData("bad name (with) stuff", "from unknown ")]
    [InlineData(null, "from unknown ")]
    public void Build_HeloName_IsSanitised(string? helo, string expected) =>
        Assert.Contains(expected, Encoding.ASCII.GetString(TraceHeaders.Build(Trace(helo, IPAddress.Loopback), new HeaderSummary(null, null, true, true), "")));

    [Fact]
    public void Build_Ipv6Client_UsesIpv6Literal() =>
        Assert.Contains("([IPv6:::1])", Encoding.ASCII.GetString(TraceHeaders.Build(Trace("h", IPAddress.IPv6Loopback), new HeaderSummary(null, null, true, true), "")));

    private static TraceInfo Trace(string? helo, IPAddress client) =>
        new("0197-id", helo, client, "relay.test", Extended: true, Utf8: false, Authenticated: true, Tls: null, At);
}
