using EmailApi.Accounts;
using EmailApi.Queue;
using EmailApi.Sending;
using EmailApi.Unsubscribe;

namespace EmailApi.Compat;

/// <summary>
/// The one path every hosted-API door takes once it has turned its provider's request into
/// <see cref="SendMessageRequest"/>s: the account's unsubscribe default, the same field validation as
/// <c>POST /v1/send</c>, the same composer (so the MIME, the Received trace and the Message-ID are the
/// native ones) and the same <see cref="SubmissionService"/>, so quotas, rates, sender domains, DKIM,
/// suppressions, idempotency, scheduling, events and webhooks cannot differ from a native send.
/// Each door only words the answers in its provider's shape.
/// </summary>
public sealed class CompatSender(SendMessageValidator validator, MessageComposer composer, SubmissionService submissions,
    UnsubscribeService unsubscribe, AccountDirectory accounts, IQueueStore store, TimeProvider clock)
{
    /// <param name="allOrNothing">One invalid message refuses the whole request (SendGrid personalizations, Resend's strict batch); otherwise each stands alone (Postmark's batch).</param>
    /// <param name="validateOnly">Check everything a request can be checked for without storing it (SendGrid's sandbox mode, Mailgun's test mode).</param>
    public async Task<CompatOutcome> SendAsync(IReadOnlyList<SendMessageRequest> requests, string accountId, HttpRequest http,
        IdempotencyRequest? idempotency, bool allOrNothing, bool validateOnly, CancellationToken ct)
    {
        var account = await accounts.FindAsync(accountId, ct);
        var items = new CompatItem[requests.Count];
        var checkedRequests = new SendMessageRequest[requests.Count];
        for (var i = 0; i < requests.Count; i++)
        {
            var (request, defaultErrors) = UnsubscribeDefault.Apply(requests[i], account);
            IDictionary<string, string[]>? errors = defaultErrors;
            if (errors is null)
            {
                var validation = await validator.ValidateAsync(request, ct);
                if (!validation.IsValid) errors = validation.ToDictionary();
            }
            checkedRequests[i] = request;
            items[i] = errors is null ? new CompatItem.Valid() : new CompatItem.Invalid(errors);
        }
        if (validateOnly || (allOrNothing && items.Any(i => i is CompatItem.Invalid)) || items.All(i => i is CompatItem.Invalid))
            return new CompatOutcome.Completed(items);

        var links = checkedRequests.Any(r => r.Unsubscribe == true) ? await unsubscribe.LinksAsync(ct) : null;
        var positions = Enumerable.Range(0, items.Length).Where(i => items[i] is CompatItem.Valid).ToArray();
        var batch = positions.Select(i => SendRequests.ToSubmission(checkedRequests[i], accountId, HttpTrace.Of(http), composer, clock, links)).ToArray();
        var outcome = await submissions.SubmitManyAsync(batch, idempotency, ct);
        if (outcome is not BatchSubmitted.Completed completed) return new CompatOutcome.Whole(outcome);
        for (var k = 0; k < positions.Length; k++) items[positions[k]] = new CompatItem.Done(completed.Items[k]);
        return new CompatOutcome.Completed(items);
    }

    /// <summary>The recipients of an accepted message that the account's suppression list held back (recorded as suppressed at enqueue).</summary>
    public async Task<IReadOnlyList<string>> SuppressedAsync(string accountId, Submitted.Accepted accepted, CancellationToken ct) =>
        await store.FindMessageAsync(accountId, accepted.Id, ct) is { } view
            ? view.Recipients.Where(r => r.Status == RecipientStatus.Suppressed).Select(r => r.Email).ToArray()
            : [];
}

/// <summary>What became of one message of a compat request.</summary>
public abstract record CompatItem
{
    private CompatItem() { }

    /// <summary>Passed validation; not submitted (validate-only, or another message of an all-or-nothing request was invalid).</summary>
    public sealed record Valid : CompatItem;

    /// <summary>Refused by validation, field by field under the native (JSON) field names.</summary>
    public sealed record Invalid(IDictionary<string, string[]> Errors) : CompatItem;

    public sealed record Done(Submitted Submitted) : CompatItem;
}

/// <summary>Each message's fate, or one answer for the whole request (an idempotent replay, a reused key, the queue unavailable).</summary>
public abstract record CompatOutcome
{
    private CompatOutcome() { }

    public sealed record Completed(IReadOnlyList<CompatItem> Items) : CompatOutcome;

    public sealed record Whole(BatchSubmitted Submitted) : CompatOutcome
    {
        public string UnavailableReason => (Submitted as BatchSubmitted.Unavailable)?.PublicReason ?? "Try again later.";
    }
}
