using EmailApi.Tests.TestSupport;

namespace EmailApi.Tests.Transport;

public sealed class HostLifetimeTests
{
    // A test host's teardown was seen disposing the bridge before stopping it; neither order may throw.
    [Fact]
    public async Task Stop_AfterDispose_DoesNotThrow()
    {
        var server = await BridgeServer.StartAsync();
        server.Host.Dispose();
        server.Host.Dispose();

        Assert.Null(await Record.ExceptionAsync(() => server.Host.StopAsync(CancellationToken.None)));
        Assert.Null(await Record.ExceptionAsync(() => server.DisposeAsync().AsTask()));
    }
}
