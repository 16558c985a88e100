using System.Net;

namespace EmailApi.SmtpBridge;

/// <summary>
/// One message as received over SMTP. <see cref="Message"/> holds the client's bytes unchanged
/// (CRLF line endings, dot-stuffing removed) behind the header lines the bridge prepends:
/// Received, and Message-ID and Date when the client sent none.
/// </summary>
/// <param name="MessageId">From <see cref="ISubmissionPort.NewMessageId"/>.</param>
/// <param name="MailFrom">The envelope sender (MAIL FROM); empty for the null reverse-path.</param>
/// <param name="Recipients">The envelope recipients (RCPT TO), which is what gets delivered: Bcc works as in any MTA.</param>
/// <param name="HeaderFrom">The From header, for the message log.</param>
/// <param name="Subject">The decoded Subject header, for the message log.</param>
public sealed record SmtpEnvelope(
    string MessageId,
    SmtpPrincipal Principal,
    string MailFrom,
    IReadOnlyList<string> Recipients,
    byte[] Message,
    string? HeaderFrom,
    string? Subject,
    IPEndPoint Remote);
