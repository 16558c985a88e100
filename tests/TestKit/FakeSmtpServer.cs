using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace EmailApi.TestKit;

/// <summary>
/// A scriptable receiving SMTP server on a loopback address, for fault injection: each command's
/// reply can be chosen (per recipient for RCPT), the greeting can refuse, DATA can stall or the
/// connection drop, STARTTLS can work or break. It records every line of every dialogue and every
/// message it accepted.
/// </summary>
public sealed class FakeSmtpServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private readonly ConcurrentQueue<string> _transcript = new();
    private readonly ConcurrentQueue<ReceivedMessage> _messages = new();
    private readonly SemaphoreSlim _arrived = new(0);
    private int _connections;
    private int _open;

    public FakeSmtpServer(IPAddress address, int port = 0)
    {
        _listener = Listen(address, port);
        Address = address;
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = AcceptLoopAsync();
    }

    public IPAddress Address { get; }
    public int Port { get; }

    public string Greeting { get; set; } = "220 fake.test ESMTP";

    /// <summary>A pause before the greeting, as tarpits and greet-delaying servers make.</summary>
    public TimeSpan GreetingDelay { get; set; }
    public Func<string, string> OnMail { get; set; } = _ => "250 2.1.0 Ok";
    public Func<string, string> OnRcpt { get; set; } = _ => "250 2.1.5 Ok";
    public Func<ReceivedMessage, string> OnData { get; set; } = _ => "250 2.0.0 Ok: queued";

    /// <summary>After DATA's 354, read nothing and answer nothing (a timeout mid-transaction).</summary>
    public bool StallInData { get; set; }

    /// <summary>The next this many MAIL commands get no reply: the connection just ends, like one a firewall cut while it was idle.</summary>
    public int DropAtMail
    {
        get => Volatile.Read(ref _dropAtMail);
        set => Volatile.Write(ref _dropAtMail, value);
    }
    private int _dropAtMail;

    /// <summary>Ends every open connection the way a server's idle timeout does: a 421, then the close.</summary>
    public async Task HangUpAllAsync()
    {
        foreach (var hangUp in _hangUps.Values) await hangUp();
    }
    private readonly ConcurrentDictionary<int, Func<Task>> _hangUps = new();

    /// <summary>Offer STARTTLS with a self-signed certificate.</summary>
    public bool OfferStartTls { get; set; }

    /// <summary>The certificate presented after STARTTLS; a self-signed one for fake.test when unset.</summary>
    public X509Certificate2? ServerCertificate { get; set; }

    /// <summary>Answer 220 to STARTTLS, then send garbage instead of a TLS handshake.</summary>
    public bool BreakTls { get; set; }

    public bool OfferSmtpUtf8 { get; set; } = true;

    /// <summary>When set, AUTH PLAIN/LOGIN is offered and these are the only credentials accepted.</summary>
    public (string User, string Password)? Credentials { get; set; }

    /// <summary>The user names that authenticated successfully, in order.</summary>
    public IReadOnlyCollection<string> Authenticated => _authenticated.ToArray();
    private readonly ConcurrentQueue<string> _authenticated = new();

    public IReadOnlyCollection<ReceivedMessage> Messages => _messages.ToArray();
    public IReadOnlyCollection<string> Transcript => _transcript.ToArray();
    public int ConnectionCount => _connections;
    public int OpenConnections => _open;

    /// <summary>
    /// A port that is free on 127.0.0.1 and was not handed out before in this process; servers on
    /// other 127.x addresses can share it. The kernel may give a port back to a later probe once this
    /// one is closed, since a test's servers listen on other loopback addresses than the probe's:
    /// two tests running at once would then get one port, so each port is handed out only once.
    /// </summary>
    public static int FreePort()
    {
        while (true)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            lock (HandedOut)
                if (HandedOut.Add(port)) return port;
        }
    }

    private static readonly HashSet<int> HandedOut = [];

    /// <summary>
    /// A listening socket, without <see cref="SocketOptionName.ReuseAddress"/>: on Linux .NET sets
    /// SO_REUSEPORT with it, so two tests' servers could listen on one address and port at once and
    /// the kernel would share the connections out between them, each getting the other's mail.
    /// (.NET sets SO_REUSEADDR alone by default on Unix, so the port of a server stopped a moment
    /// ago, its connections in TIME_WAIT, can be taken again without it.)
    /// </summary>
    public static TcpListener Listen(IPAddress address, int port, int backlog = int.MaxValue)
    {
        var listener = new TcpListener(address, port);
        listener.Start(backlog);
        return listener;
    }

    /// <summary>What the sending side can tell about itself, quoted when a message waited for never arrives.</summary>
    public Func<string>? Diagnosis { get; set; }

    public async Task<ReceivedMessage> WaitForMessageAsync(TimeSpan timeout)
    {
        if (!await _arrived.WaitAsync(timeout))
            throw new TimeoutException($"No message arrived at {Address}:{Port} within {timeout}; {_connections} connections came, " +
                $"the last lines: [{string.Join(" | ", _transcript.TakeLast(12))}]. {Diagnosis?.Invoke()}");
        return _messages.Last();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try { await _acceptLoop; } catch (OperationCanceledException) { }
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) when (_stop.IsCancellationRequested) { return; }
            catch (SocketException) { return; }
            var id = Interlocked.Increment(ref _connections);
            Interlocked.Increment(ref _open);
            _ = Task.Run(async () =>
            {
                try { await ServeAsync(id, client, _stop.Token); }
                catch (Exception) { /* the client went away; the transcript shows how far it got */ }
                finally
                {
                    _hangUps.TryRemove(id, out _);
                    client.Dispose();
                    Interlocked.Decrement(ref _open);
                }
            });
        }
    }

    private async Task ServeAsync(int id, TcpClient client, CancellationToken ct)
    {
        Stream stream = client.GetStream();
        var reader = new LineReader(stream);
        async Task Say(string line)
        {
            _transcript.Enqueue("S: " + line);
            await stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\r\n"), ct);
        }

        async Task<string> AskAsync(string prompt)
        {
            await Say(prompt);
            var answer = await reader.ReadLineAsync(ct) ?? "";
            _transcript.Enqueue("C: " + answer);
            return answer;
        }

        _hangUps[id] = async () =>
        {
            await Say("421 4.4.2 fake.test closing an idle connection");
            client.Client.Shutdown(SocketShutdown.Both);
        };
        if (GreetingDelay > TimeSpan.Zero) await Task.Delay(GreetingDelay);
        await Say(Greeting);
        if (!Greeting.StartsWith('2')) return;
        var secure = false;
        string? from = null;
        var recipients = new List<string>();
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            _transcript.Enqueue("C: " + line);
            var verb = line.Split(' ', 2)[0].ToUpperInvariant();
            var argument = line.Length > verb.Length ? line[(verb.Length + 1)..] : "";
            switch (verb)
            {
                case "EHLO":
                    var lines = new List<string> { "fake.test", "PIPELINING", "8BITMIME", "SIZE 52428800", "ENHANCEDSTATUSCODES" };
                    if (OfferSmtpUtf8) lines.Add("SMTPUTF8");
                    if ((OfferStartTls || BreakTls) && !secure) lines.Add("STARTTLS");
                    if (Credentials is not null) lines.Add("AUTH PLAIN LOGIN");
                    for (var i = 0; i < lines.Count; i++) await Say($"250{(i == lines.Count - 1 ? ' ' : '-')}{lines[i]}");
                    break;
                case "AUTH":
                    var parts = argument.Split(' ', 2);
                    string? user = null, password = null;
                    if (parts[0].Equals("PLAIN", StringComparison.OrdinalIgnoreCase))
                    {
                        var payload = parts.Length > 1 ? parts[1] : await AskAsync("334 ");
                        var fields = Encoding.UTF8.GetString(Convert.FromBase64String(payload)).Split('\0');
                        (user, password) = fields.Length == 3 ? (fields[1], fields[2]) : (null, null);
                    }
                    else if (parts[0].Equals("LOGIN", StringComparison.OrdinalIgnoreCase))
                    {
                        user = Encoding.UTF8.GetString(Convert.FromBase64String(await AskAsync("334 VXNlcm5hbWU6")));
                        password = Encoding.UTF8.GetString(Convert.FromBase64String(await AskAsync("334 UGFzc3dvcmQ6")));
                    }
                    if (Credentials is { } expected && user == expected.User && password == expected.Password)
                    {
                        _authenticated.Enqueue(user!);
                        await Say("235 2.7.0 Authentication successful");
                    }
                    else
                    {
                        await Say("535 5.7.8 Authentication credentials invalid");
                    }
                    break;
                case "HELO":
                    await Say("250 fake.test");
                    break;
                case "STARTTLS":
                    await Say("220 2.0.0 Ready to start TLS");
                    if (BreakTls)
                    {
                        await stream.WriteAsync("this is not TLS\r\n"u8.ToArray(), ct);
                        return;
                    }
                    var tls = new SslStream(stream, false);
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = ServerCertificate ?? Certificate.Value }, ct);
                    stream = tls;
                    reader = new LineReader(stream);
                    secure = true;
                    break;
                case "MAIL":
                    if (TakeDrop()) return;
                    from = Between(argument);
                    recipients.Clear();
                    await Say(OnMail(from));
                    break;
                case "RCPT":
                    var rcpt = Between(argument);
                    var reply = OnRcpt(rcpt);
                    if (reply.StartsWith('2')) recipients.Add(rcpt);
                    await Say(reply);
                    break;
                case "DATA":
                    if (recipients.Count == 0) { await Say("554 5.5.1 No valid recipients"); break; }
                    await Say("354 End data with <CR><LF>.<CR><LF>");
                    if (StallInData)
                    {
                        await Task.Delay(Timeout.Infinite, ct);
                        return;
                    }
                    var data = await reader.ReadDataAsync(ct);
                    var message = new ReceivedMessage(from ?? "", recipients.ToArray(), data, secure);
                    var answer = OnData(message);
                    if (answer.StartsWith('2'))
                    {
                        _messages.Enqueue(message);
                        _arrived.Release();
                    }
                    await Say(answer);
                    recipients.Clear();
                    break;
                case "RSET":
                    recipients.Clear();
                    await Say("250 2.0.0 Ok");
                    break;
                case "NOOP":
                    await Say("250 2.0.0 Ok");
                    break;
                case "QUIT":
                    await Say("221 2.0.0 Bye");
                    return;
                default:
                    await Say("502 5.5.2 Command not recognized");
                    break;
            }
        }
    }

    private bool TakeDrop()
    {
        int left;
        do
        {
            left = Volatile.Read(ref _dropAtMail);
            if (left <= 0) return false;
        } while (Interlocked.CompareExchange(ref _dropAtMail, left - 1, left) != left);
        return true;
    }

    private static string Between(string argument)
    {
        var start = argument.IndexOf('<');
        var end = argument.IndexOf('>', start + 1);
        return start >= 0 && end > start ? argument[(start + 1)..end] : argument;
    }

    private static readonly Lazy<X509Certificate2> Certificate = new(() =>
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=fake.test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pfx), null);
    });

    private sealed class LineReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[8192];
        private int _start;
        private int _end;

        public async Task<string?> ReadLineAsync(CancellationToken ct)
        {
            var line = new MemoryStream();
            while (true)
            {
                if (_start == _end)
                {
                    _start = 0;
                    _end = await stream.ReadAsync(_buffer, ct);
                    if (_end == 0) return line.Length > 0 ? Encoding.UTF8.GetString(line.ToArray()) : null;
                }
                var b = _buffer[_start++];
                if (b == '\n')
                {
                    var bytes = line.ToArray();
                    var length = bytes.Length > 0 && bytes[^1] == '\r' ? bytes.Length - 1 : bytes.Length;
                    return Encoding.UTF8.GetString(bytes, 0, length);
                }
                line.WriteByte(b);
            }
        }

        /// <summary>The message up to the CRLF.CRLF terminator, with dot-stuffing undone (RFC 5321 §4.5.2).</summary>
        public async Task<byte[]> ReadDataAsync(CancellationToken ct)
        {
            var data = new MemoryStream();
            while (await ReadLineAsync(ct) is { } line)
            {
                if (line == ".") break;
                var text = line.StartsWith('.') ? line[1..] : line;
                data.Write(Encoding.UTF8.GetBytes(text + "\r\n"));
            }
            return data.ToArray();
        }
    }
}

public sealed record ReceivedMessage(string From, IReadOnlyList<string> Recipients, byte[] Data, bool OverTls)
{
    public string Text => Encoding.UTF8.GetString(Data);
}
