using System.Net;
using EmailApi.Events;

namespace EmailApi.Tests.Events;

public sealed class WebhookAddressGuardTests
{
    [Theory]
    [InlineData("8.8.8.8", true)]
    [InlineData("93.184.216.34", true)]
    [InlineData("2606:4700::1111", true)]
    [InlineData("127.0.0.1", false)]
    [InlineData("127.9.9.9", false)]
    [InlineData("10.1.2.3", false)]
    [InlineData("172.16.0.1", false)]
    [InlineData("172.31.255.255", false)]
    [InlineData("172.32.0.1", true)]
    [InlineData("192.168.1.1", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("100.64.0.1", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("224.0.0.1", false)]
    [InlineData("::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("fd00::1", false)]
    [InlineData("::ffff:10.0.0.1", false)]
    public void IsPublic_Table(string address, bool expected) => Assert.Equal(expected, WebhookAddressGuard.IsPublic(IPAddress.Parse(address)));

    [Fact]
    public async Task Connect_ToAnInternalAddressByDefault_IsRefused()
    {
        using var http = new HttpClient(new SocketsHttpHandler { ConnectCallback = WebhookAddressGuard.Connect(allowPrivate: false) });
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("http://127.0.0.1:9/"));
        Assert.Contains("internal", error.Message + error.InnerException?.Message);
    }
}
