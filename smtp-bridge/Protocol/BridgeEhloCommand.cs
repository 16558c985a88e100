using SmtpServer;
using SmtpServer.Protocol;

namespace EmailApi.SmtpBridge.Protocol;

/// <summary>
/// EHLO with this bridge's keywords: the package's own list lacks ENHANCEDSTATUSCODES (RFC 2034)
/// and would advertise AUTH in plaintext to anyone once plaintext AUTH is allowed at all.
/// </summary>
internal sealed class BridgeEhloCommand(string domainOrAddress, BridgeSettings settings) : EhloCommand(domainOrAddress)
{
    protected override string GetGreeting(ISessionContext context) =>
        $"{settings.ServerName} Hello {DomainOrAddress} [{BridgeSession.Of(context).Address}]";

    protected override IEnumerable<string> GetExtensions(ISessionContext context)
    {
        var secure = context.Pipe.IsSecure;
        yield return "PIPELINING";
        yield return "8BITMIME";
        yield return "SMTPUTF8";
        yield return $"SIZE {settings.MaxMessageBytes}";
        yield return "ENHANCEDSTATUSCODES";
        if (!secure) yield return "STARTTLS";
        // RFC 4954 §4: offer AUTH only where it will be accepted.
        // An inbound listener takes mail for its own addresses only, from anyone: there is nothing to log in to.
        if (!settings.Inbound && (secure || BridgeSession.Of(context).PlaintextAuthAllowed)) yield return "AUTH PLAIN LOGIN";
    }
}
