using System.Net;
using System.Net.Sockets;
using EmailApi.TestKit;

namespace EmailApi.Tests.Delivery;

/// <summary>
/// The receiving servers of tests that run at once must never share an address and port: the
/// kernel would share the connections out between them, and one test's mail would arrive at
/// another's server (seen as a message that never came, or an MX that "does not offer STARTTLS").
/// </summary>
public sealed class ReceivingServerPortTests
{
    [Fact]
    public async Task ASecondServerOnTheSameAddressAndPort_RefusesToStart()
    {
        await using var first = new FakeSmtpServer(IPAddress.Parse("127.0.0.2"));

        var second = Assert.Throws<SocketException>(() => new FakeSmtpServer(IPAddress.Parse("127.0.0.2"), first.Port));

        Assert.Equal(SocketError.AddressAlreadyInUse, second.SocketErrorCode);
    }

    [Fact]
    public void FreePort_NeverHandsOutOnePortTwice()
    {
        var ports = Enumerable.Range(0, 200).Select(_ => FakeSmtpServer.FreePort()).ToArray();

        Assert.Equal(ports.Length, ports.Distinct().Count());
    }
}
