using EmailApi.SmtpBridge;
using EmailApi.Tests.TestSupport;

namespace EmailApi.Tests.Protocol;

/// <summary>Credentials from AUTH are checked again at MAIL and at the end of DATA, since one AUTH may serve a session for hours.</summary>
public sealed class CredentialRecheckTests
{
    [Fact]
    public async Task Mail_AfterCredentialsRevoked_Answers530AndStaysUnauthenticated()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var raw = await server.LoggedInAsync();
        server.Port.RecheckOverride = () => new AuthOutcome.Refused();

        Assert.StartsWith("530 5.7.0 Authentication required", await raw.CommandAsync("MAIL FROM:<a@example.com>"));
        server.Port.RecheckOverride = null;
        // The session lost its login: even a recheck that would pass is not asked for.
        Assert.Equal("530 5.7.0 Authentication required", await raw.CommandAsync("MAIL FROM:<a@example.com>"));
        // The package allows one AUTH per session (RFC 4954 §4), so logging in again needs a new connection.
        Assert.StartsWith("503 5.5.1", await raw.CommandAsync(Sessions.AuthPlain()));
        Assert.StartsWith("250", await raw.CommandAsync("NOOP"));
        Assert.Empty(server.Port.Submitted);
    }

    [Fact]
    public async Task EndOfData_AfterCredentialsRevokedDuringTransaction_Answers530AndQueuesNothing()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var raw = await server.LoggedInAsync();
        await raw.StartMessageAsync();
        server.Port.RecheckOverride = () => new AuthOutcome.Refused();

        var reply = await raw.CommandAsync("From: a@example.com\r\nSubject: late\r\n\r\nbody\r\n.");

        Assert.StartsWith("530 5.7.0 Authentication required", reply);
        Assert.Empty(server.Port.Submitted);
    }

    [Fact]
    public async Task Mail_WhenRecheckUnavailable_Answers451NotPermanent()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var raw = await server.LoggedInAsync();
        server.Port.RecheckOverride = () => new AuthOutcome.Unavailable("database down");

        Assert.StartsWith("451 4.3.0", await raw.CommandAsync("MAIL FROM:<a@example.com>"));
        server.Port.RecheckOverride = null;
        await raw.StartMessageAsync();
        Assert.StartsWith("250 2.0.0", await raw.CommandAsync("From: a@example.com\r\nSubject: s\r\n\r\nbody\r\n."));
        Assert.Single(server.Port.Submitted);
    }
}
