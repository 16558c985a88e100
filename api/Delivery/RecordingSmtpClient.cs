using MailKit.Net.Smtp;
using MimeKit;

namespace EmailApi.Delivery;

/// <summary>
/// MailKit's client, made to record each RCPT reply instead of throwing on the first refusal,
/// so one refused recipient never fails the others of the same transaction.
/// </summary>
internal sealed class RecordingSmtpClient : SmtpClient
{
    private readonly Dictionary<string, SmtpResponse> _refused = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyDictionary<string, SmtpResponse> Refused => _refused;

    public void ClearReplies() => _refused.Clear();

    protected override void OnRecipientNotAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response) =>
        _refused[mailbox.Address] = response;

    // MailKit then throws a synthetic 554 "No recipients were accepted"; the relay ignores it in
    // favour of the replies recorded above.
    protected override void OnNoRecipientsAccepted(MimeMessage message) { }
}
