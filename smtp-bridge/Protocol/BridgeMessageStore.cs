using System.Buffers;
using EmailApi.SmtpBridge.Messages;
using Microsoft.Extensions.Logging;
using SmtpServer;
using SmtpServer.Mail;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace EmailApi.SmtpBridge.Protocol;

/// <summary>
/// The end of DATA: checks what the transport could not (size verdict, bare CR/LF, a header
/// block of bounded size that MimeKit can parse, no NUL, a From or a sender to make one from), prepends the trace headers, hands the envelope to the submission
/// port and turns its outcome into the reply. "250 2.0.0 Ok: queued as &lt;id&gt;" is sent only
/// after the port reports the commit; anything unexpected is 451 4.3.0.
/// </summary>
internal sealed class BridgeMessageStore(ISubmissionPort port, BridgeSettings settings, TimeProvider clock, ILogger log, CancellationToken stopping) : IMessageStore
{
    public async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
    {
        var session = BridgeSession.Of(context);
        var verdict = session.Verdict;
        session.Verdict = DataVerdict.None;
        var reply = await SubmitAsync(session, transaction, buffer, verdict);
        // The reply writer sends this value; the package's response only carries the code to it.
        session.PendingReply = reply;
        return reply.ToResponse();
    }

    private async Task<SmtpReply> SubmitAsync(BridgeSession session, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, DataVerdict verdict)
    {
        if (verdict == DataVerdict.Oversized || buffer.Length > settings.MaxMessageBytes)
        {
            log.LogInformation("Refused a message from {Remote}: over {Max} bytes", session.Remote, settings.MaxMessageBytes);
            return SmtpReply.MessageTooLarge;
        }
        if (verdict == DataVerdict.Empty) return SmtpReply.EmptyMessage;
        if (LineEndings.HasBareCrOrLf(buffer))
        {
            log.LogWarning("Refused a message from {Remote}: bare CR or LF in the data (possible SMTP smuggling)", session.Remote);
            return SmtpReply.BareLineEnding;
        }

        // The package hands over the body without the CRLF that precedes the terminating dot.
        var body = new byte[buffer.Length + 2];
        buffer.CopyTo(body);
        body[^2] = (byte)'\r';
        body[^1] = (byte)'\n';
        // Bounded before MimeKit reads it: one huge folded header costs minutes of parsing and folding.
        switch (HeaderBlock.Check(body))
        {
            case HeaderVerdict.BlockTooLarge or HeaderVerdict.FieldTooLong:
                log.LogInformation("Refused a message from {Remote}: header over {Block} bytes or a field over {Field}", session.Remote,
                    HeaderBlock.MaxBlockBytes, HeaderBlock.MaxFieldBytes);
                return SmtpReply.HeaderTooLarge;
            case HeaderVerdict.Passed:
                break;
            default:
                return SmtpReply.BadHeaders;
        }
        if (body.AsSpan().IndexOf((byte)0) >= 0) return SmtpReply.NulInMessage;
        if (HeaderSummary.Parse(body) is not { } headers) return SmtpReply.BadHeaders;
        var mailFrom = transaction.From.AsAddress() ?? "";
        // RFC 6409 §8.6: a submission server may add a missing From from the sender it knows, as Postfix
        // does for its own clients; with a null sender there is nobody to name, so the message is refused.
        // A blank From ("From:", as MimeKit writes a message nobody set a sender on) counts as missing.
        var noFrom = string.IsNullOrWhiteSpace(headers.From);
        if (noFrom && mailFrom.Length == 0) return SmtpReply.NoFromHeader;
        if (noFrom && headers.From is not null) body = HeaderBlock.WithoutBlankField(body, "From");
        // The key may have been revoked while the body arrived.
        if (await CredentialRecheck.RefusalAsync(port, session, log, stopping) is { } refusal) return refusal;
        if (session.Principal is not { } principal)
        {
            log.LogError("DATA from {Remote} reached the store without a principal", session.Remote);
            return SmtpReply.TryLater;
        }

        try
        {
            var id = port.NewMessageId();
            var utf8 = transaction.Parameters.Keys.Any(k => string.Equals(k, "SMTPUTF8", StringComparison.OrdinalIgnoreCase));
            var trace = new TraceInfo(id, session.HeloName, session.Address, settings.ServerName, session.Extended, utf8,
                session.Authenticated, session.Tls, clock.GetUtcNow());
            var prefix = TraceHeaders.Build(trace, headers, mailFrom);
            var message = new byte[prefix.Length + body.Length];
            prefix.CopyTo(message, 0);
            body.CopyTo(message, prefix.Length);
            var recipients = transaction.To.Select(m => m.AsAddress()).ToArray();
            var envelope = new SmtpEnvelope(id, principal, mailFrom, recipients, message, noFrom ? mailFrom : headers.From, headers.Subject, session.Remote);

            // Not the session's token: a commit under way when shutdown starts should still be
            // acknowledged. Only the host's hard stop gives up on it.
            var outcome = await port.SubmitAsync(envelope, stopping);
            var reply = SmtpReply.For(outcome);
            log.LogInformation("{Reply} for a message from {Remote} ({Principal}), {Recipients} recipient(s), {Bytes} bytes",
                reply.ToLine(), session.Remote, principal.Name, recipients.Length, message.Length);
            return reply;
        }
        catch (Exception ex)
        {
            log.LogError(ex, "Submission of a message from {Remote} failed", session.Remote);
            return SmtpReply.TryLater;
        }
    }
}
