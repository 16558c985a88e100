using System.Data.Common;
using Dapper;

namespace EmailApi.Queue;

/// <summary>
/// Fresh mail queued behind full destinations. A lease reads the earliest due fresh mail through a
/// bounded window (<see cref="QueueQueries.RetryWindow"/>), so a destination with a million
/// recipients at the head of the queue costs each lease a bounded read instead of a walk over all
/// of them. When that window held too few recipients of destinations with room, this finds the rest
/// destination by destination (Postfix's qmgr and KumoMTA keep a queue per destination in memory;
/// an index by domain is the database's equivalent): a page of the domains with fresh mail, from
/// where the previous search stopped so every domain's turn comes, the full ones left out.
/// </summary>
internal sealed class BehindFullDestinations
{
    /// <summary>Domains looked at per search: one index seek each.</summary>
    public const int DomainsPerSearch = 500;

    // The domains with fresh mail after @After, in order, at most @Count, by one seek each on
    // ix_recipients_queued_domain (a loose index scan) however many recipients each has. Both
    // engines run it as written.
    private const string QueuedDomains = """
        WITH RECURSIVE queued(domain, n) AS (
            SELECT (SELECT domain FROM recipients WHERE status = 'queued' AND domain > @After ORDER BY domain LIMIT 1), 1
            UNION ALL
            SELECT (SELECT domain FROM recipients WHERE status = 'queued' AND domain > q.domain ORDER BY domain LIMIT 1), q.n + 1
            FROM queued q WHERE q.domain IS NOT NULL AND q.n < @Count)
        SELECT domain FROM queued WHERE domain IS NOT NULL
        """;

    private string _after = "";

    /// <param name="full">The destinations the lease leaves out; none: the window saw every destination there is room for.</param>
    /// <param name="wanted">How many recipients the lease still has room for.</param>
    /// <param name="lease">The engine's statement: leases up to the given count of due fresh recipients of the given domains, in the transaction.</param>
    public async Task<IReadOnlyList<QueueQueries.LeasedRow>> LeaseAsync(DbConnection connection, DbTransaction tx, IReadOnlyCollection<string> full, int wanted,
        Func<string[], int, Task<IReadOnlyList<QueueQueries.LeasedRow>>> lease, CancellationToken ct)
    {
        if (wanted <= 0 || full.Count == 0) return [];
        var after = Volatile.Read(ref _after);
        var domains = (await connection.QueryAsync<string>(new CommandDefinition(QueuedDomains,
            new { After = after, Count = DomainsPerSearch }, tx, cancellationToken: ct))).AsList();
        var skip = full.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var open = domains.Where(d => !skip.Contains(d)).ToArray();
        var rows = open.Length == 0 ? [] : await lease(open, wanted);
        // Room filled: these domains may have more, the next search starts here again. Otherwise it
        // goes on after the last domain looked at, or from the start once the end was reached.
        Volatile.Write(ref _after, rows.Count >= wanted ? after : domains.Count < DomainsPerSearch ? "" : domains[^1]);
        return rows;
    }
}
