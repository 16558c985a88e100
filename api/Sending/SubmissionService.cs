using System.Diagnostics;
using EmailApi.Accounts;
using EmailApi.Domains;
using EmailApi.Queue;
using Microsoft.Extensions.Options;
using MimeKit;

namespace EmailApi.Sending;

/// <summary>
/// The one room behind both doors: the checks every submission passes, whichever protocol it
/// came by (size, hop count, recipients, the account being enabled, its sender domains), then the durable
/// enqueue, where the account's quota and rates are counted in the same transaction as the message
/// (so two doors racing for the last unit cannot both win). <see cref="Submitted.Accepted"/> is
/// returned only after the transaction holding the message has committed.
/// </summary>
public sealed class SubmissionService(QueueWriter writer, AccountDirectory accounts, DkimSigning dkim, SenderDomainRule domainRule,
    IOptions<SendingOptions> options, IOptions<HopLimitOptions> hopLimit, SendingMetrics metrics, TimeProvider clock)
{
    public async Task<Submitted> SubmitAsync(Submission submission, CancellationToken ct) =>
        await SubmitManyAsync([submission], null, ct) switch
        {
            BatchSubmitted.Completed completed => completed.Items[0],
            BatchSubmitted.Unavailable unavailable => new Submitted.Unavailable(unavailable.PublicReason),
            var other => throw new UnreachableException(other.ToString()),
        };

    /// <summary>
    /// Submits messages of one account together: each is checked on its own, the acceptable ones are
    /// committed in one transaction, and a refused one never fails the others.
    /// </summary>
    public async Task<BatchSubmitted> SubmitManyAsync(IReadOnlyList<Submission> submissions, IdempotencyRequest? idempotency, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var answer = await SubmitAllAsync(submissions, idempotency, ct);
        if (submissions.Count > 0) metrics.Answered(submissions[0].Source, answer, Stopwatch.GetElapsedTime(started));
        return answer;
    }

    private async Task<BatchSubmitted> SubmitAllAsync(IReadOnlyList<Submission> submissions, IdempotencyRequest? idempotency, CancellationToken ct)
    {
        var answers = new Submitted[submissions.Count];
        var messages = new List<NewMessage>(submissions.Count);
        var positions = new List<int>(submissions.Count);
        var now = clock.GetUtcNow();
        for (var i = 0; i < submissions.Count; i++)
        {
            var account = await accounts.FindAsync(submissions[i].AccountId, ct);
            var recipients = Distinct(submissions[i].Recipients);
            var domains = account is null ? AccountDomains.None : await domainRule.DomainsOfAsync(account.Id, ct);
            switch (Check(submissions[i], recipients, account) ?? await domainRule.CheckAsync(submissions[i], account!, domains, ct))
            {
                case Submitted.Rejected rejected:
                    answers[i] = rejected;
                    break;
                default:
                    messages.Add(ToMessage(submissions[i], recipients, account!, domains, now));
                    positions.Add(i);
                    break;
            }
        }
        if (messages.Count == 0) return new BatchSubmitted.Completed(answers);

        var claim = idempotency is null
            ? null
            : new IdempotencyClaim(submissions[0].AccountId, idempotency.Key, idempotency.RequestHash, now + IdempotencyRequest.KeptFor,
                results => idempotency.Respond(Merge(answers, positions, messages, results)));
        try
        {
            return await writer.WriteAsync(new EnqueueRequest(messages, claim), ct) switch
            {
                EnqueueOutcome.Done done => new BatchSubmitted.Completed(Merge(answers, positions, messages, done.Results)),
                EnqueueOutcome.Duplicate duplicate when duplicate.RequestHash.AsSpan().SequenceEqual(idempotency!.RequestHash) =>
                    new BatchSubmitted.Replayed(duplicate.Response),
                EnqueueOutcome.Duplicate => new BatchSubmitted.KeyReused(),
                var other => throw new UnreachableException(other.ToString()),
            };
        }
        catch (QueueUnavailableException)
        {
            return new BatchSubmitted.Unavailable("The queue is unavailable; try again later.");
        }
    }

    private Submitted? Check(Submission submission, string[] recipients, Account? account)
    {
        var settings = options.Value;
        if (account is null or { Disabled: true })
            return new Submitted.Rejected(RejectionKind.AccountDisabled, "The account is disabled.");
        if (submission.Raw.LongLength > settings.MaxMessageBytes)
            return new Submitted.Rejected(RejectionKind.TooLarge, $"The message is {submission.Raw.LongLength} bytes; the limit is {settings.MaxMessageBytes}.");
        // RFC 5321 §6.3: a relay counts Received fields to stop loops (Postfix refuses at hopcount_limit).
        if (HopCount.Of(submission.Raw) is var hops && hops >= hopLimit.Value.MaxHops)
            return new Submitted.Rejected(RejectionKind.MailLoop, HopLimitOptions.Describe(hops, hopLimit.Value.MaxHops) + ".");

        if (recipients.Length == 0)
            return new Submitted.Rejected(RejectionKind.NoRecipients, "The message has no recipients.");
        if (recipients.Length > settings.MaxRecipients)
            return new Submitted.Rejected(RejectionKind.TooManyRecipients, $"At most {settings.MaxRecipients} recipients per message.");
        if (SenderOutsideDomains(submission, account.SenderDomains) is { } sender)
            return new Submitted.Rejected(RejectionKind.SenderDomainNotAllowed,
                $"The sender '{sender}' is not in this account's sender domains ({string.Join(", ", account.SenderDomains)}).");
        return null;
    }

    /// <summary>The first sender address (envelope, then each From mailbox) whose domain the account may not use; null when all may.</summary>
    internal static string? SenderOutsideDomains(Submission submission, IReadOnlyList<string> allowed)
    {
        if (allowed.Count == 0) return null;
        var senders = new List<string>();
        if (submission.EnvelopeFrom.Length > 0) senders.Add(submission.EnvelopeFrom);
        if (!string.IsNullOrWhiteSpace(submission.HeaderFrom))
        {
            // A From that cannot be read cannot be shown to be inside the domains.
            if (!InternetAddressList.TryParse(submission.HeaderFrom, out var from)) return submission.HeaderFrom;
            senders.AddRange(from.Mailboxes.Select(m => m.Address));
        }
        return senders.FirstOrDefault(s => !allowed.Contains(s[(s.LastIndexOf('@') + 1)..], StringComparer.OrdinalIgnoreCase));
    }

    // DKIM signing happens here, once, so every retry sends the same signed bytes.
    private NewMessage ToMessage(Submission s, string[] recipients, Account account, AccountDomains domains, DateTimeOffset now) =>
        new(s.Id, s.AccountId, s.Source, s.EnvelopeFrom, recipients, dkim.Sign(s.Raw, domains), s.HeaderFrom, s.Subject, s.Tags, s.Metadata, now,
            account.Limits.ToSendLimits(), s.SendAt);

    private static string[] Distinct(IReadOnlyList<string> recipients) => recipients.Distinct(StringComparer.OrdinalIgnoreCase).ToArray();

    private static Submitted[] Merge(Submitted[] checkedAnswers, List<int> positions, List<NewMessage> messages, IReadOnlyList<EnqueueResult> results)
    {
        var answers = (Submitted[])checkedAnswers.Clone();
        for (var k = 0; k < positions.Count; k++)
        {
            var message = messages[k];
            answers[positions[k]] = results[k] switch
            {
                EnqueueResult.Stored => new Submitted.Accepted(message.Id, message.Recipients),
                EnqueueResult.LimitReached limit => Refused(limit, message.Recipients.Count),
                var other => throw new UnreachableException(other.ToString()),
            };
        }
        return answers;
    }

    private static Submitted.Rejected Refused(EnqueueResult.LimitReached limit, int recipients)
    {
        var exceeded = new ExceededLimit(limit.Period, limit.Limit, limit.Used, limit.ResetsAt);
        var resets = limit.ResetsAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
        return limit.Period == LimitPeriod.Month
            ? new Submitted.Rejected(RejectionKind.QuotaExceeded,
                $"Monthly quota exceeded: {limit.Used} of {limit.Limit} recipients used, this message has {recipients}; resets at {resets}.", exceeded)
            : new Submitted.Rejected(RejectionKind.RateLimited,
                $"Rate limit exceeded: {limit.Used} of {limit.Limit} recipients per {limit.Period.ToDb()} used, this message has {recipients}; resets at {resets}.", exceeded);
    }
}
