using EmailApi.Queue;
using Microsoft.Extensions.Options;

namespace EmailApi.Sending;

/// <summary>
/// The one room behind both doors: the checks every submission passes, whichever protocol it
/// came by, then the durable enqueue. <see cref="Submitted.Accepted"/> is returned only after the
/// transaction holding the message has committed.
/// </summary>
public sealed class SubmissionService(QueueWriter writer, IOptions<SendingOptions> options, TimeProvider clock)
{
    public async Task<Submitted> SubmitAsync(Submission submission, CancellationToken ct)
    {
        var settings = options.Value;
        if (submission.Raw.LongLength > settings.MaxMessageBytes)
            return new Submitted.Rejected(RejectionKind.TooLarge, $"The message is {submission.Raw.LongLength} bytes; the limit is {settings.MaxMessageBytes}.");

        var recipients = submission.Recipients.Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        if (recipients.Length == 0)
            return new Submitted.Rejected(RejectionKind.NoRecipients, "The message has no recipients.");
        if (recipients.Length > settings.MaxRecipients)
            return new Submitted.Rejected(RejectionKind.TooManyRecipients, $"At most {settings.MaxRecipients} recipients per message.");

        var message = new NewMessage(submission.Id, submission.AccountId, submission.Source, submission.EnvelopeFrom, recipients,
            submission.Raw, submission.HeaderFrom, submission.Subject, submission.Tags, submission.Metadata, clock.GetUtcNow());
        try
        {
            await writer.WriteAsync([message], ct);
            return new Submitted.Accepted(submission.Id, recipients);
        }
        catch (QueueUnavailableException)
        {
            return new Submitted.Unavailable("The queue is unavailable; try again later.");
        }
    }
}
