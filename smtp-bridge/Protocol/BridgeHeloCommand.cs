using SmtpServer;
using SmtpServer.Protocol;

namespace EmailApi.SmtpBridge.Protocol;

internal sealed class BridgeHeloCommand(string domainOrAddress, BridgeSettings settings) : HeloCommand(domainOrAddress)
{
    protected override string GetGreeting(ISessionContext context) => $"{settings.ServerName} Hello {DomainOrAddress}";
}
