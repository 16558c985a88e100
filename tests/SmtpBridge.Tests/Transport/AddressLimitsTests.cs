using System.Net;
using EmailApi.SmtpBridge;
using EmailApi.Tests.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Transport;

/// <summary>One client address cannot take every session: a per-address session limit and connection rate, with exempt networks.</summary>
public sealed class AddressLimitsTests
{
    private static readonly IPAddress Other = IPAddress.Parse("127.0.0.2");

    [Fact]
    public async Task Connect_BeyondMaxSessionsPerAddress_Answers421WhileAnotherAddressGets220()
    {
        await using var server = await BridgeServer.StartAsync(o => o.MaxSessionsPerAddress = 3);
        var open = new List<RawSmtpClient>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var client = await server.ConnectRawAsync();
                open.Add(client);
                Assert.StartsWith("220 ", await client.ReadReplyAsync());
            }

            await using (var extra = await server.ConnectRawAsync())
            {
                Assert.Equal("421 4.7.0 Too many connections from your address; try again later", await extra.ReadReplyAsync());
                Assert.True(await extra.ClosedAsync(TimeSpan.FromSeconds(5)));
            }
            await using (var other = await server.ConnectRawAsync(Other))
            {
                Assert.StartsWith("220 ", await other.ReadReplyAsync());
                Assert.StartsWith("250", await other.CommandAsync("EHLO other.test"));
            }

            // A session that ends gives its place back.
            Assert.StartsWith("221", await open[0].CommandAsync("QUIT"));
            await WaitUntil(() => server.Host.OpenSessions <= 2);
            await using var again = await server.ConnectRawAsync();
            Assert.StartsWith("220 ", await again.ReadReplyAsync());
        }
        finally
        {
            foreach (var client in open) await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task Connect_BeyondRatePerAddress_Answers421UntilTheMinuteIsOver()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        await using var server = await BridgeServer.StartAsync(o => o.MaxConnectionsPerAddressPerMinute = 3, clock);
        for (var i = 0; i < 3; i++)
        {
            await using var client = await server.ConnectRawAsync();
            Assert.StartsWith("220 ", await client.ReadReplyAsync());
            Assert.StartsWith("221", await client.CommandAsync("QUIT"));
        }

        await using (var extra = await server.ConnectRawAsync())
        {
            Assert.Equal("421 4.7.0 Too many connections from your address in the last minute; try again later", await extra.ReadReplyAsync());
            Assert.True(await extra.ClosedAsync(TimeSpan.FromSeconds(5)));
        }
        await using (var other = await server.ConnectRawAsync(Other))
            Assert.StartsWith("220 ", await other.ReadReplyAsync());

        clock.Advance(TimeSpan.FromMinutes(1));
        await using var later = await server.ConnectRawAsync();
        Assert.StartsWith("220 ", await later.ReadReplyAsync());
    }

    [Fact]
    public async Task Connect_FromTrustedNetwork_IsNotLimitedPerAddress()
    {
        await using var server = await BridgeServer.StartAsync(o =>
        {
            o.MaxSessionsPerAddress = 1;
            o.MaxConnectionsPerAddressPerMinute = 1;
            o.TrustedNetworks = ["127.0.0.1/32"];
            o.TrustedAccount = FakeSubmissionPort.TrustedAccountName;
        });
        await using var first = await server.ConnectRawAsync();
        await using var second = await server.ConnectRawAsync();
        Assert.StartsWith("220 ", await first.ReadReplyAsync());
        Assert.StartsWith("220 ", await second.ReadReplyAsync());

        // Outside the trusted network the limits apply.
        await using var other = await server.ConnectRawAsync(Other);
        Assert.StartsWith("220 ", await other.ReadReplyAsync());
        await using var otherAgain = await server.ConnectRawAsync(Other);
        Assert.StartsWith("421 4.7.0", await otherAgain.ReadReplyAsync());
    }

    [Fact]
    public async Task Connect_WithExplicitlyEmptyExemptList_LimitsTrustedNetworksToo()
    {
        await using var server = await BridgeServer.StartAsync(o =>
        {
            o.MaxSessionsPerAddress = 1;
            o.TrustedNetworks = ["127.0.0.0/8"];
            o.TrustedAccount = FakeSubmissionPort.TrustedAccountName;
            o.ConnectionLimitExemptNetworks = [];
        });
        await using var first = await server.ConnectRawAsync();
        Assert.StartsWith("220 ", await first.ReadReplyAsync());
        await using var second = await server.ConnectRawAsync();
        Assert.StartsWith("421 4.7.0", await second.ReadReplyAsync());
    }

    [Theory]
    [InlineData(-1, 0, null, "Smtp:MaxSessionsPerAddress")]
    [InlineData(0, -5, null, "Smtp:MaxConnectionsPerAddressPerMinute")]
    [InlineData(10, 10, "not-a-network", "Smtp:ConnectionLimitExemptNetworks")]
    public async Task Start_WithBadLimitSetting_FailsNamingTheKey(int sessions, int rate, string? exempt, string key)
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => BridgeServer.StartAsync(o =>
        {
            o.MaxSessionsPerAddress = sessions;
            o.MaxConnectionsPerAddressPerMinute = rate;
            if (exempt is not null) o.ConnectionLimitExemptNetworks = [exempt];
        }));
        Assert.Contains(key, error.Message);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition()) await Task.Delay(20, timeout.Token);
    }
}
