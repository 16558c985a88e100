namespace EmailApi.Queue;

/// <summary>
/// The row shapes both queue stores lease into and the lease built from them. The statements
/// themselves differ between the engines (see the stores) and stay in them.
/// </summary>
internal static class QueueQueries
{
    /// <summary>
    /// How many of the earliest due recipients a lease of <paramref name="limit"/> looks at, of the
    /// fresh ones and of the retries each: enough to step past the ones of a few busy destinations,
    /// few enough that a queue of millions costs each lease a bounded read (what lies behind full
    /// destinations, <see cref="BehindFullDestinations"/> finds).
    /// </summary>
    public static int RetryWindow(int limit) => Math.Max(limit * 10, 1000);

    /// <summary>A lease from the recipients the engine's lease statement returned and their messages.</summary>
    public static Lease ToLease(long token, DateTimeOffset until, IEnumerable<LeasedRow> rows, IEnumerable<QueuedMessageRow> messages) => new(
        token,
        until,
        rows.OrderBy(r => r.Id).Select(r => new LeasedRecipient(r.Id, new MessageId(Guid.Parse(r.MessageId)), r.Address, r.Domain, (int)r.Attempts)).ToArray(),
        messages.Select(ToMessage).ToDictionary(m => m.Id));

    /// <summary>A message row as the sender (and a late bounce's notification) reads it; its content is empty once retention dropped it.</summary>
    public static QueuedMessage ToMessage(QueuedMessageRow m) =>
        new(new MessageId(Guid.Parse(m.Id)), m.AccountId, MessageSourceNames.FromDb(m.Source), m.EnvelopeFrom, m.Raw ?? [], DateTimeOffset.FromUnixTimeMilliseconds(m.CreatedAt));

    /// <summary>The columns of <see cref="QueuedMessageRow"/>, read from <c>messages</c>.</summary>
    public const string QueuedMessageColumns = "id AS Id, account_id AS AccountId, source AS Source, envelope_from AS EnvelopeFrom, raw AS Raw, created_at AS CreatedAt";

    public sealed record LeasedRow(long Id, string MessageId, string Address, string Domain, long Attempts);

    public sealed record QueuedMessageRow(string Id, string AccountId, string Source, string EnvelopeFrom, byte[]? Raw, long CreatedAt);

}
