using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using EmailApi.SmtpBridge.Protocol;
using Microsoft.Extensions.Logging;
using SmtpServer;
using SmtpServer.IO;
using SmtpServer.Net;

namespace EmailApi.SmtpBridge.Transport;

/// <summary>
/// Accepts connections on one bound port for the SmtpServer package. Unlike the package's own
/// listener it sets TCP_NODELAY (without it every pipelined reply waits ~40 ms for a delayed ACK),
/// enforces the session limit with 421 4.7.0, and creates this bridge's session state.
/// </summary>
internal sealed class BridgeListener(
    TcpListener listener,
    BridgeSettings settings,
    SslStreamCertificateContext certificate,
    SessionSlots slots,
    SessionGuard guard,
    ILogger log) : IEndpointListener
{
    private static readonly byte[] TooManySessions = Encoding.ASCII.GetBytes(SmtpReply.TooManySessions.ToLine() + "\r\n");

    public IPEndPoint LocalEndPoint => (IPEndPoint)listener.LocalEndpoint;

    public async Task<ISecurableDuplexPipe> GetPipeAsync(ISessionContext context, CancellationToken cancellationToken)
    {
        while (true)
        {
            var socket = await listener.AcceptSocketAsync(cancellationToken);
            socket.NoDelay = true;
            if (!slots.TryTake())
            {
                Refuse(socket);
                continue;
            }
            try
            {
                var remote = (IPEndPoint)socket.RemoteEndPoint!;
                var address = remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address;
                var session = new BridgeSession(remote, settings.TrustedNetworks.Contains(address), settings.PlaintextAuthNetworks.Contains(address));
                session.AttachTo(context);
                context.Properties[EndpointListener.LocalEndPointKey] = listener.LocalEndpoint;
                context.Properties[EndpointListener.RemoteEndPointKey] = remote;
                guard.Watch(context);
                return new BridgePipe(socket, session, settings, certificate, slots);
            }
            catch
            {
                slots.Release();
                socket.Dispose();
                throw;
            }
        }
    }

    public void Dispose() => listener.Stop();

    private void Refuse(Socket socket)
    {
        log.LogWarning("Refused a connection from {Remote}: {Max} sessions already open", socket.RemoteEndPoint, settings.MaxSessions);
        try
        {
            // A fresh socket's send buffer is empty, so this short write does not block the accept loop.
            socket.Send(TooManySessions, SocketFlags.None);
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // The client already left.
        }
        finally
        {
            socket.Dispose();
        }
    }
}
