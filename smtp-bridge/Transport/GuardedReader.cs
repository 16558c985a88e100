using System.Buffers;
using System.IO.Pipelines;
using EmailApi.SmtpBridge.Protocol;

namespace EmailApi.SmtpBridge.Transport;

/// <summary>
/// The input side of a session, between the socket and the SmtpServer package. It enforces what
/// the package does not: the idle timeout, the command line length, and the message size while
/// the body arrives.
/// </summary>
/// <remarks>
/// In the data phase (after a 354 was written) it reads the whole body up to CRLF.CRLF itself
/// and hands the package one copied, single-segment buffer. That lets a body over the limit be
/// read and discarded, so the client gets 552 5.3.4 and the session goes on (the package's own
/// strict mode would drop the connection without a reply), and it keeps the package's
/// cross-segment search out of the way. The package ends the body only at CRLF "." CRLF, so a
/// bare-LF dot line never splits a message; the message store rejects it afterwards.
/// </remarks>
internal sealed class GuardedReader : PipeReader
{
    private static readonly byte[] EndOfData = "\r\n.\r\n"u8.ToArray();
    // A blank line before the terminator: the package builds an empty body into a null segment list.
    private static readonly byte[] NoBody = "\r\n\r\n.\r\n"u8.ToArray();

    private readonly BridgeSession _session;
    private readonly BridgeSettings _settings;
    private readonly Func<SmtpReply, Task> _close;
    private readonly Func<SmtpReply, Task> _reply;
    private PipeReader _inner;
    private bool _dataPhase;
    private Handed _handed;

    public GuardedReader(PipeReader inner, BridgeSession session, BridgeSettings settings, Func<SmtpReply, Task> close, Func<SmtpReply, Task> reply)
    {
        _inner = inner;
        _session = session;
        _settings = settings;
        _close = close;
        _reply = reply;
    }

    /// <summary>After STARTTLS. Plaintext the client pipelined behind STARTTLS stays in the old reader and is dropped (RFC 3207 §4.2, CVE-2011-0411).</summary>
    public void Replace(PipeReader inner)
    {
        _inner.Complete();
        _inner = inner;
    }

    public void EnterDataPhase() => _dataPhase = true;

    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (_session.Closed) return EndOfInput;
        return _dataPhase ? await ReadBodyAsync(cancellationToken) : await ReadCommandAsync(cancellationToken);
    }

    public override bool TryRead(out ReadResult result)
    {
        // The package never calls this; a synchronous read could not apply the guards.
        result = default;
        return false;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        // Only a buffer that came from the socket is advanced there: a body copy was consumed
        // when it was made, and the end-of-input result belongs to no buffer.
        var handed = _handed;
        _handed = Handed.Nothing;
        if (handed == Handed.Inner) _inner.AdvanceTo(consumed, examined);
    }

    public override void CancelPendingRead() => _inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => _inner.Complete(exception);

    private ReadResult EndOfInput
    {
        get
        {
            _handed = Handed.Nothing;
            return new ReadResult(ReadOnlySequence<byte>.Empty, isCanceled: false, isCompleted: true);
        }
    }

    private async ValueTask<ReadResult> ReadCommandAsync(CancellationToken ct)
    {
        while (true)
        {
            if (await ReadInnerAsync(ct) is not { } result) return EndOfInput;
            if (FirstLineTooLong(result.Buffer, _settings.MaxLineLength))
            {
                _inner.AdvanceTo(result.Buffer.End);
                await _close(SmtpReply.LineTooLong);
                return EndOfInput;
            }
            if (result.Buffer.PositionOf((byte)'\n') is not { } lf)
            {
                // Not a whole line yet: the package asks again once more has arrived.
                _handed = Handed.Inner;
                return result;
            }

            var line = result.Buffer.Slice(0, lf);
            var authResponse = _session.AuthChallenged;
            _session.AuthChallenged = false;
            if (!authResponse) _session.LineVerb = CommandLineCheck.VerbOf(line);
            var utf8Transaction = _session.Utf8Transaction;
            var refusal = CommandLineCheck.Refusal(line, authResponse, ref utf8Transaction);
            _session.Utf8Transaction = utf8Transaction;
            if (refusal is null)
            {
                _handed = Handed.Inner;
                return result;
            }

            // The package never sees this line.
            _inner.AdvanceTo(result.Buffer.GetPosition(1, lf));
            // Within AUTH the package is executing the command: a response exception ends it with
            // this reply, and the session goes on (the package would drop the connection instead).
            if (authResponse) throw refusal.Refusal();
            await _reply(refusal);
            if (_session.Closed) return EndOfInput;
        }
    }

    private async ValueTask<ReadResult> ReadBodyAsync(CancellationToken ct)
    {
        long scanned = 0;
        var discarding = false;
        var startChecked = false;
        while (true)
        {
            if (await ReadInnerAsync(ct) is not { } result)
            {
                _dataPhase = false;
                return EndOfInput;
            }
            var buffer = result.Buffer;

            // RFC 5321 §4.1.1.4: the DATA line's own CRLF starts the terminator, so "." alone is an empty body.
            if (!startChecked && buffer.Length >= 3)
            {
                startChecked = true;
                if (new SequenceReader<byte>(buffer).IsNext(".\r\n"u8))
                    return HandCopy(buffer, buffer.GetPosition(3), NoBody, DataVerdict.Empty);
            }

            if (Find(buffer, Math.Max(0, scanned - (EndOfData.Length - 1))) is { } end)
            {
                var after = buffer.GetPosition(EndOfData.Length, end);
                var body = buffer.Slice(0, end);
                if (discarding || body.Length > _settings.MaxMessageBytes)
                    return HandCopy(buffer, after, NoBody, DataVerdict.Oversized);
                var copy = new byte[body.Length + EndOfData.Length];
                body.CopyTo(copy);
                EndOfData.CopyTo(copy.AsSpan((int)body.Length));
                return HandCopy(buffer, after, copy, DataVerdict.None);
            }
            if (result.IsCompleted || result.IsCanceled)
            {
                // The client went away mid-body: the package sees the end of input and gives up.
                _dataPhase = false;
                _inner.AdvanceTo(buffer.End);
                return EndOfInput;
            }
            if (buffer.Length > _settings.MaxMessageBytes + EndOfData.Length)
            {
                // Too large: keep reading to the terminator but hold on only to its possible start.
                discarding = true;
                _inner.AdvanceTo(buffer.GetPosition(buffer.Length - (EndOfData.Length - 1)), buffer.End);
                scanned = EndOfData.Length - 1;
                continue;
            }
            scanned = startChecked ? buffer.Length : 0;
            _inner.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private ReadResult HandCopy(ReadOnlySequence<byte> buffer, SequencePosition consumed, byte[] copy, DataVerdict verdict)
    {
        // Examined only up to the terminator: pipelined commands behind it must be read at once.
        _inner.AdvanceTo(consumed);
        _dataPhase = false;
        _handed = Handed.Copy;
        _session.Verdict = verdict;
        return new ReadResult(new ReadOnlySequence<byte>(copy), isCanceled: false, isCompleted: false);
    }

    private async ValueTask<ReadResult?> ReadInnerAsync(CancellationToken ct)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
        idle.CancelAfter(_settings.IdleTimeout);
        try
        {
            return await _inner.ReadAsync(idle.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            await _close(SmtpReply.IdleTimeout);
            return null;
        }
        catch (OperationCanceledException) when (_dataPhase)
        {
            // Shutdown or the session limit mid-body: the package would answer 554; say 421 and close.
            await _close(SmtpReply.ShuttingDown);
            return null;
        }
    }

    private static SequencePosition? Find(ReadOnlySequence<byte> buffer, long from)
    {
        var reader = new SequenceReader<byte>(buffer.Slice(from));
        return reader.TryReadTo(out ReadOnlySequence<byte> _, EndOfData, advancePastDelimiter: false) ? reader.Position : null;
    }

    private static bool FirstLineTooLong(ReadOnlySequence<byte> buffer, int max)
    {
        var window = buffer.Length > max + 1 ? buffer.Slice(0, max + 1) : buffer;
        return window.PositionOf((byte)'\n') is null && buffer.Length > max;
    }

    private enum Handed
    {
        Nothing,
        Inner,
        Copy,
    }
}
