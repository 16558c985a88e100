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
/// enforces the session limits (overall and per client address) with 421 4.7.0, and creates this bridge's session state.
/// </summary>
internal sealed class BridgeListener(
    TcpListener listener,
    BridgeSettings settings,
    SslStreamCertificateContext certificate,
    SessionSlots slots,
    AddressLimits limits,
    SessionGuard guard,
    ILogger log) : IEndpointListener
{
    public IPEndPoint LocalEndPoint => (IPEndPoint)listener.LocalEndpoint;

    public async Task<ISecurableDuplexPipe> GetPipeAsync(ISessionContext context, CancellationToken cancellationToken)
    {
        while (true)
        {
            var socket = await listener.AcceptSocketAsync(cancellationToken);
            socket.NoDelay = true;
            var remote = (IPEndPoint)socket.RemoteEndPoint!;
            var address = remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address;
            if (limits.TryAdmit(address, out var counted) is { } refusal)
            {
                log.LogWarning("Refused a connection from {Remote}: {Reply}", remote, refusal.ToLine());
                Refuse(socket, refusal);
                continue;
            }
            if (!slots.TryTake())
            {
                if (counted) limits.Release(address);
                log.LogWarning("Refused a connection from {Remote}: {Max} sessions already open", remote, settings.MaxSessions);
                Refuse(socket, SmtpReply.TooManySessions);
                continue;
            }
            void Release()
            {
                slots.Release();
                if (counted) limits.Release(address);
            }
            try
            {
                var session = new BridgeSession(remote, settings.TrustedNetworks.Contains(address), settings.PlaintextAuthNetworks.Contains(address), cancellationToken);
                session.AttachTo(context);
                context.Properties[EndpointListener.LocalEndPointKey] = listener.LocalEndpoint;
                context.Properties[EndpointListener.RemoteEndPointKey] = remote;
                guard.Watch(context);
                return new BridgePipe(socket, session, settings, certificate, Release);
            }
            catch
            {
                Release();
                socket.Dispose();
                throw;
            }
        }
    }

    public void Dispose() => listener.Stop();

    private static void Refuse(Socket socket, SmtpReply reply)
    {
        try
        {
            // A fresh socket's send buffer is empty, so this short write does not block the accept loop.
            socket.Send(Encoding.ASCII.GetBytes(reply.ToLine() + "\r\n"), SocketFlags.None);
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
