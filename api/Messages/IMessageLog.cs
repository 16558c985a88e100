using EmailApi.Queue;

namespace EmailApi.Messages;

/// <summary>
/// The account's view of its messages: the filtered log, newest first, and withdrawing recipients
/// that have not been attempted, and one message with its recipients and events. Every query is
/// scoped to one account, so a message of another account is indistinguishable from a missing one.
/// </summary>
public interface IMessageLog
{
    /// <summary>The message with its recipients and events, or null when the account has none with that id.</summary>
    Task<MessageView?> FindAsync(string accountId, MessageId id, CancellationToken ct);

    /// <summary>
    /// Up to <paramref name="limit"/> messages in descending id order (ids are version 7 GUIDs, so
    /// newest first) strictly before <paramref name="before"/>: keyset pagination, so messages that
    /// arrive meanwhile never shift a page (no gaps, no repeats).
    /// </summary>
    Task<IReadOnlyList<MessageSummary>> ListAsync(string accountId, MessageFilter filter, MessageId? before, int limit, CancellationToken ct);

    /// <summary>Cancels the message's recipients that are queued and were never attempted, each with a <c>cancelled</c> event.</summary>
    Task<CancelOutcome> CancelAsync(string accountId, MessageId id, CancellationToken ct);
}
