using SmtpServer;
using SmtpServer.Net;

namespace EmailApi.SmtpBridge.Transport;

/// <summary>Hands the package the listeners bound before it started, so a port in use fails the host's start and port 0 is known.</summary>
internal sealed class BridgeListenerFactory(IReadOnlyDictionary<IEndpointDefinition, BridgeListener> listeners) : IEndpointListenerFactory
{
    public IEndpointListener CreateListener(IEndpointDefinition endpointDefinition) => listeners[endpointDefinition];
}
