using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using EmailApi.SmtpBridge.Protocol;

namespace EmailApi.SmtpBridge.Transport;

/// <summary>
/// The output side of a session. The SmtpServer package writes whole reply lines and flushes;
/// on each flush this writer gives every reply its enhanced status code (<see cref="ReplyRewriter"/>),
/// puts a filter's own reply in place of the package's generic refusal, counts errors (closing
/// the session with 421 4.7.0 at the limit), and tells the reader when a 354 opens the data phase.
/// </summary>
internal sealed class ReplyWriter : PipeWriter
{
    private readonly ArrayBufferWriter<byte> _pending = new(512);
    private readonly BridgeSession _session;
    private readonly BridgeSettings _settings;
    private readonly Action _dataPhaseStarts;
    private PipeWriter _inner;

    public ReplyWriter(PipeWriter inner, BridgeSession session, BridgeSettings settings, Action dataPhaseStarts)
    {
        _inner = inner;
        _session = session;
        _settings = settings;
        _dataPhaseStarts = dataPhaseStarts;
    }

    /// <summary>After STARTTLS.</summary>
    public void Replace(PipeWriter inner)
    {
        _inner.Complete();
        _inner = inner;
    }

    public override void Advance(int bytes) => _pending.Advance(bytes);

    public override Memory<byte> GetMemory(int sizeHint = 0) => _pending.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => _pending.GetSpan(sizeHint);

    public override void CancelPendingFlush() => _inner.CancelPendingFlush();

    public override void Complete(Exception? exception = null) => _inner.Complete(exception);

    public override async ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_session.Closed)
        {
            _pending.Clear();
            return new FlushResult(isCanceled: false, isCompleted: true);
        }

        var text = Encoding.UTF8.GetString(_pending.WrittenSpan);
        var complete = text.LastIndexOf("\r\n", StringComparison.Ordinal) + 2;
        var closeAfter = false;
        foreach (var line in text[..complete].Split("\r\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var (output, isError, dataPhase) = Rewrite(line);
            Write(output);
            if (dataPhase) _dataPhaseStarts();
            if (isError && ++_session.Errors >= _settings.MaxErrors)
            {
                Write(SmtpReply.TooManyErrors.ToLine());
                closeAfter = true;
                break;
            }
        }
        var rest = text[complete..];
        _pending.Clear();
        if (rest.Length > 0) Encoding.UTF8.GetBytes(rest, _pending);

        // The caller's token may already be cancelled by shutdown; the reply to a committed
        // message must still go out, so only the idle timeout bounds a client that stops reading.
        using var timeout = new CancellationTokenSource(_settings.IdleTimeout);
        var result = await _inner.FlushAsync(timeout.Token);
        if (closeAfter) _session.Closed = true;
        return result;
    }

    /// <summary>Answers a line the package never saw (the reader refused it), counting it as an error.</summary>
    public async Task ReplyAsync(SmtpReply reply)
    {
        if (_session.Closed) return;
        Write(reply.ToLine());
        var closeAfter = false;
        if (reply.Code >= 400 && ++_session.Errors >= _settings.MaxErrors)
        {
            Write(SmtpReply.TooManyErrors.ToLine());
            closeAfter = true;
        }
        using var timeout = new CancellationTokenSource(_settings.IdleTimeout);
        await _inner.FlushAsync(timeout.Token);
        if (closeAfter) _session.Closed = true;
    }

    /// <summary>Sends a last reply and ends the session: from here on input reads as closed and output is dropped.</summary>
    public async Task CloseWithAsync(SmtpReply reply)
    {
        if (_session.Closed) return;
        _session.Closed = true;
        _pending.Clear();
        Write(reply.ToLine());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _inner.FlushAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The client is gone or not reading; the connection closes either way.
        }
    }

    private (string Line, bool IsError, bool DataPhase) Rewrite(string line)
    {
        if (!_session.GreetingSent)
        {
            _session.GreetingSent = true;   // RFC 2034 §3: the greeting carries no enhanced code
            return (line, false, false);
        }
        if (line.Length < 3 || !int.TryParse(line.AsSpan(0, 3), out var code)) return (line, false, false);
        if (code is 334 or 354)
        {
            _session.AuthChallenged = code == 334;
            return (line, false, code == 354);
        }
        // RFC 2034 §3: neither does the answer to HELO/EHLO (the EHLO keywords must stay bare).
        if (_session.CurrentCommand is "EHLO" or "HELO") return (line, false, false);

        SmtpReply sent;
        if (_session.PendingReply is { } pending)
        {
            _session.PendingReply = null;
            sent = pending;
        }
        else if (code is 500 or 502 && _session.CurrentCommand is null && ArgumentError(_session.LineVerb) is { } argumentError)
        {
            // The package answers a known verb whose arguments it cannot parse as if the verb were
            // unknown; RFC 5321 §4.2.2 says 501, with the RFC 3463 code of what was wrong.
            sent = argumentError;
        }
        else
        {
            sent = ReplyRewriter.Rewrite(code, line.Length > 4 ? line[4..] : "", _session, _settings.SessionTimeout);
        }
        var output = sent.ToLine();
        code = sent.Code;
        // RFC 5321 §4.5.3.1.10 asks clients to handle 452 for too many recipients: that is flow
        // control, not misbehaviour, and a 421 ends the session anyway.
        var isError = code >= 400 && code != 421 && !ReferenceEquals(sent, SmtpReply.TooManyRecipients);
        return (output, isError, false);
    }

    private static SmtpReply? ArgumentError(string? verb) => verb switch
    {
        "RCPT" => SmtpReply.BadRecipient,
        "MAIL" => SmtpReply.BadSender,
        "AUTH" => SmtpReply.UnknownMechanism,
        "HELO" or "EHLO" or "DATA" or "RSET" or "NOOP" or "QUIT" or "STARTTLS" => SmtpReply.BadArguments,
        _ => null,
    };

    private void Write(string line)
    {
        var span = _inner.GetSpan(Encoding.UTF8.GetMaxByteCount(line.Length) + 2);
        var written = Encoding.UTF8.GetBytes(line, span);
        span[written] = (byte)'\r';
        span[written + 1] = (byte)'\n';
        _inner.Advance(written + 2);
    }
}
