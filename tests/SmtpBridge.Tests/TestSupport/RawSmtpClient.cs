using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace EmailApi.Tests.TestSupport;

/// <summary>
/// A client that sends exactly the bytes a test gives it (bare LFs, pipelined batches, overlong
/// lines) and reads whole replies, multi-line ones joined with "\n".
/// </summary>
internal sealed class RawSmtpClient : IAsyncDisposable
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(15);

    private readonly TcpClient _tcp;
    private Stream _stream;
    private readonly StringBuilder _received = new();
    private readonly byte[] _buffer = new byte[64 * 1024];

    private RawSmtpClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    /// <param name="from">The client's own loopback address (127.0.0.2, ...) to appear as another client; default 127.0.0.1.</param>
    public static async Task<RawSmtpClient> ConnectAsync(int port, IPAddress? from = null)
    {
        var tcp = from is null ? new TcpClient { NoDelay = true } : new TcpClient(new IPEndPoint(from, 0)) { NoDelay = true };
        await tcp.ConnectAsync("127.0.0.1", port);
        return new RawSmtpClient(tcp);
    }

    /// <summary>Every reply line read so far, for golden transcripts.</summary>
    public List<string> Transcript { get; } = [];

    public async Task SendAsync(string text)
    {
        Transcript.AddRange(text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Select(l => "C: " + l));
        await SendBytesAsync(Encoding.UTF8.GetBytes(text));
    }

    public async Task SendBytesAsync(byte[] bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    public async Task<string> CommandAsync(string line)
    {
        await SendAsync(line + "\r\n");
        return await ReadReplyAsync();
    }

    /// <summary>One reply: lines up to the first whose code is followed by a space.</summary>
    public async Task<string> ReadReplyAsync()
    {
        var lines = new List<string>();
        using var timeout = new CancellationTokenSource(ReadTimeout);
        while (true)
        {
            var line = await ReadLineAsync(timeout.Token) ?? throw new IOException($"Connection closed; got so far: {string.Join(" | ", lines)}");
            lines.Add(line);
            Transcript.Add("S: " + line);
            if (line.Length < 4 || line[3] == ' ') return string.Join("\n", lines);
        }
    }

    /// <summary>True when the server closes the connection within the timeout without sending more.</summary>
    public async Task<bool> ClosedAsync(TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        try
        {
            return await ReadLineAsync(timeout.Token) is null;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public async Task StartTlsAsync()
    {
        var tls = new SslStream(_stream, leaveInnerStreamOpen: false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync("bridge.test");
        _stream = tls;
    }

    private async Task<string?> ReadLineAsync(CancellationToken ct)
    {
        while (true)
        {
            var text = _received.ToString();
            var end = text.IndexOf("\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                _received.Remove(0, end + 2);
                return text[..end];
            }
            var read = await _stream.ReadAsync(_buffer, ct);
            if (read == 0) return null;
            _received.Append(Encoding.UTF8.GetString(_buffer, 0, read));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _tcp.Dispose();
    }
}
