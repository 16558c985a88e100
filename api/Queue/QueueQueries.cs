namespace EmailApi.Queue;

/// <summary>
/// The row shapes both queue stores lease into and the lease built from them. The statements
/// themselves differ between the engines (see the stores) and stay in them.
/// </summary>
internal static class QueueQueries
{
    /// <summary>
    /// How many of the earliest due retries a lease of <paramref name="limit"/> looks at: enough to
    /// step past the ones of a few busy destinations, few enough that a queue of millions of
    /// deferred recipients costs each lease a bounded read.
    /// </summary>
    public static int RetryWindow(int limit) => Math.Max(limit * 10, 1000);

    /// <summary>
    /// The domains that have fresh mail, in order, after <c>@After</c>: at most <c>@Count</c>, found by
    /// one index seek each on <c>ix_recipients_queued_domain</c> (a loose index scan), however many
    /// recipients each has. Both engines run it as written.
    /// </summary>
    public const string QueuedDomains = """
        WITH RECURSIVE queued(domain, n) AS (
            SELECT (SELECT domain FROM recipients WHERE status = 'queued' AND domain > @After ORDER BY domain LIMIT 1), 1
            UNION ALL
            SELECT (SELECT domain FROM recipients WHERE status = 'queued' AND domain > q.domain ORDER BY domain LIMIT 1), q.n + 1
            FROM queued q WHERE q.domain IS NOT NULL AND q.n < @Count)
        SELECT domain FROM queued WHERE domain IS NOT NULL
        """;

    /// <summary>A lease from the recipients the engine's lease statement returned and their messages.</summary>
    public static Lease ToLease(long token, DateTimeOffset until, IEnumerable<LeasedRow> rows, IEnumerable<QueuedMessageRow> messages) => new(
        token,
        until,
        rows.OrderBy(r => r.Id).Select(r => new LeasedRecipient(r.Id, new MessageId(Guid.Parse(r.MessageId)), r.Address, r.Domain, (int)r.Attempts)).ToArray(),
        messages.ToDictionary(
            m => new MessageId(Guid.Parse(m.Id)),
            m => new QueuedMessage(new MessageId(Guid.Parse(m.Id)), m.AccountId, MessageSourceNames.FromDb(m.Source), m.EnvelopeFrom, m.Raw,
                DateTimeOffset.FromUnixTimeMilliseconds(m.CreatedAt))));

    public sealed record LeasedRow(long Id, string MessageId, string Address, string Domain, long Attempts);

    public sealed record QueuedMessageRow(string Id, string AccountId, string Source, string EnvelopeFrom, byte[] Raw, long CreatedAt);

}
