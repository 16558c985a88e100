using EmailApi.Queue;

namespace EmailApi.Feedback;

/// <summary>
/// The feedback capability's tables. One SQL text for both engines (<see cref="SqlFeedbackStore"/>);
/// failures of the database surface as exceptions (the caller's own trouble, never a verdict).
/// </summary>
public interface IFeedbackStore
{
    /// <summary>
    /// The recipient row <paramref name="recipientId"/> of message <paramref name="messageId"/>, or null when there is none
    /// (purged, or never ours). Not scoped to an account: the caller holds a return-path token it has verified, which names the row.
    /// </summary>
    Task<SentRecipient?> FindRecipientAsync(MessageId messageId, long recipientId, CancellationToken ct);

    /// <summary>
    /// The message <paramref name="id"/> with its content, for a bounce notification about it, or null when there is none. Its
    /// content is empty once retention has dropped it. Not scoped to an account, like <see cref="FindRecipientAsync"/>.
    /// </summary>
    Task<QueuedMessage?> MessageAsync(MessageId id, CancellationToken ct);

    /// <summary>
    /// The sealed VERP key named <paramref name="name"/>: the one already stored, or
    /// <paramref name="sealedCandidate"/> if none was. Nodes racing on an empty table all get the
    /// first one written, so every node signs and checks tokens with the same key.
    /// </summary>
    Task<string> KeyAsync(string name, string sealedCandidate, DateTimeOffset now, CancellationToken ct);

    /// <summary>
    /// Applies an inbound report to the recipient its token named, in one transaction: the new status
    /// (only from <c>delivered</c>, or from <c>sending</c> when the report overtook the sender's own
    /// record, which then finds its lease gone and changes nothing) with an event that carries the
    /// report, the bounce notification to the message's envelope sender when the change carries one
    /// (queued only when the status changed, woken on PostgreSQL by NOTIFY at the commit), and the
    /// suppression (source <c>feedback</c>). A recipient already bounced, complained or still waiting
    /// keeps its state, and applying the same change twice changes nothing the second time, so two
    /// nodes processing one report (or a report processed again after a crash) do no harm and the
    /// sender hears of the bounce once.
    /// </summary>
    Task<FeedbackApplied> ApplyAsync(FeedbackChange change, CancellationToken ct);

    /// <summary>Stores reports in one transaction; returns only after the commit (the listener's 250 waits for it).</summary>
    Task AddReportsAsync(IReadOnlyList<InboundReport> reports, CancellationToken ct);

    /// <summary>The oldest reports not yet processed.</summary>
    Task<IReadOnlyList<InboundReport>> PendingAsync(int limit, CancellationToken ct);

    /// <summary>Marks a report processed with its result; false when another node did first (its effects are idempotent, so both running them is harmless).</summary>
    Task<bool> CompleteAsync(string id, ReportResult result, DateTimeOffset now, CancellationToken ct);

    /// <summary>Reports newest first, below <paramref name="before"/> (an id) when given; filtered by account, message and classification.</summary>
    Task<IReadOnlyList<InboundReportView>> ListAsync(string? accountId, string? messageId, string? classification, string? before, int limit, CancellationToken ct);

    /// <summary>Processed reports that were soft bounces of <paramref name="recipient"/> for the account, received at or after <paramref name="since"/>.</summary>
    Task<int> CountSoftBouncesAsync(string accountId, string recipient, DateTimeOffset since, CancellationToken ct);
}
