using System.Net;
using System.Net.Sockets;
using MailKit.Net.Smtp;

namespace EmailApi.Delivery;

/// <summary>An open SMTP client connection to one address of one MX host (or the smart host).</summary>
internal sealed class SmtpConnection(RecordingSmtpClient client, Socket socket, MxHost host, IPAddress address, DateTimeOffset opened)
{
    public RecordingSmtpClient Client { get; } = client;
    public MxHost Host { get; } = host;
    public IPAddress Address { get; } = address;
    public DateTimeOffset Opened { get; } = opened;
    public string? Tls { get; } = client.IsSecure ? $"{client.SslProtocol} {client.SslCipherSuite}" : null;

    /// <summary>Taken from <see cref="SmtpConnectionCache"/>: it served an earlier delivery, and the server may have dropped it since.</summary>
    public bool Reused { get; set; }

    /// <summary>Opened under an MTA-STS policy and found to meet it (STARTTLS, a certificate valid for the MX name).</summary>
    public bool PolicyVerified { get; set; }

    public bool IsTo(MxHost host, IPAddress address) => Host.Name == host.Name && Address.Equals(address);

    /// <summary>
    /// Still open with nothing unread. An idle SMTP server has nothing to say, so anything readable
    /// is its goodbye (a 421 timeout, or the end of the stream).
    /// </summary>
    public bool IsIdleAndOpen()
    {
        try
        {
            return Client.IsConnected && !socket.Poll(0, SelectMode.SelectRead);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    public async Task CloseAsync()
    {
        try
        {
            // QUIT is a courtesy; a slow or dead peer must not hold the worker.
            using var quit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            if (Client.IsConnected) await Client.DisconnectAsync(true, quit.Token);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or SmtpProtocolException or SmtpCommandException or MailKit.ServiceNotConnectedException)
        {
            // The message outcomes are already decided; a failed goodbye changes nothing.
        }
        finally
        {
            Client.Dispose();
            socket.Dispose();
        }
    }
}
