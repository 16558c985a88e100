using System.Data.Common;
using System.Text;
using System.Text.Json;
using Dapper;

namespace EmailApi.Queue;

/// <summary>
/// How the message log's queries are spelled on each engine; everything else about them is shared.
/// PostgreSQL binds arrays instead of expanding IN lists, compares addresses through its
/// <c>nocase</c> collation, and wants the selected message columns grouped too.
/// </summary>
internal sealed record MessageLogDialect(string InIds, string AddressIs, string GroupByMessage)
{
    public static readonly MessageLogDialect Sqlite = new("IN @Ids", "d.address = @Recipient COLLATE NOCASE", "GROUP BY d.message_id");

    public static readonly MessageLogDialect Postgres = new("= ANY(@Ids)", "d.address COLLATE nocase = @Recipient", "GROUP BY d.message_id, m.id");
}

/// <summary>
/// The message log's queries, for both engines. Each query is driven by the narrowest index for its
/// filters (recipient address, tag or status on <c>recipients</c>/<c>message_tags</c>, which carry the
/// account; otherwise <c>messages(account_id, id)</c>), walked in id order and stopped at the page
/// size, so a page costs the same on a million rows as on a hundred. Time bounds become id bounds:
/// a version 7 id starts with its creation time in milliseconds (on PostgreSQL ids compare in byte
/// order through their <c>COLLATE "C"</c> columns, so pages and bounds mean the same on both).
/// </summary>
internal static class MessageLogQueries
{
    public static async Task<IReadOnlyList<MessageSummary>> ListAsync(DbConnection connection, MessageLogDialect dialect,
        string accountId, MessageFilter filter, MessageId? before, int limit, CancellationToken ct)
    {
        var (sql, args) = BuildQuery(dialect, accountId, filter, before, limit);
        var rows = (await connection.QueryAsync<SummaryRow>(new CommandDefinition(sql, args, cancellationToken: ct))).AsList();
        if (rows.Count == 0) return [];
        var recipients = (await connection.QueryAsync<RecipientRow>(new CommandDefinition(
                $"SELECT message_id AS MessageId, address AS Address, status AS Status, report_id AS ReportId FROM recipients WHERE message_id {dialect.InIds} ORDER BY id",
                new { Ids = rows.Select(r => r.Id).ToArray() }, cancellationToken: ct)))
            .ToLookup(r => r.MessageId);
        return rows.Select(r => new MessageSummary(
            new MessageId(Guid.Parse(r.Id)),
            MessageSourceNames.FromDb(r.Source),
            r.EnvelopeFrom,
            r.HeaderFrom,
            r.Subject,
            r.Tags is null ? [] : JsonSerializer.Deserialize<string[]>(r.Tags) ?? [],
            DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt),
            r.SendAt is null ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.SendAt.Value),
            recipients[r.Id].Select(x => new RecipientSummary(x.Address, RecipientStatusNames.FromDb(x.Status), x.ReportId is not null)).ToArray())).ToArray();
    }

    public static async Task<CancelOutcome> CancelAsync(DbConnection connection, string accountId, MessageId id, DateTimeOffset at, CancellationToken ct)
    {
        var now = at.ToUnixTimeMilliseconds();
        var key = id.ToString();
        await using var tx = await connection.BeginTransactionAsync(ct);
        var exists = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM messages WHERE id = @Id AND account_id = @AccountId", new { Id = key, AccountId = accountId }, tx, cancellationToken: ct));
        if (exists == 0) return new CancelOutcome.NotFound();
        // Only recipients no sender holds: a leased one ('sending') is already on its way.
        var cancelled = (await connection.QueryAsync<CancelledRow>(new CommandDefinition("""
            UPDATE recipients SET status = 'cancelled', next_attempt_at = NULL, updated_at = @Now
            WHERE message_id = @Id AND status = 'queued' AND attempts = 0
            RETURNING id AS Id, address AS Address
            """, new { Id = key, Now = now }, tx, cancellationToken: ct))).AsList();
        foreach (var row in cancelled)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO events (message_id, recipient_id, type, detail, created_at) VALUES (@Id, @RecipientId, 'cancelled', 'Cancelled by the account', @Now)",
                new { Id = key, RecipientId = row.Id, Now = now }, tx, cancellationToken: ct));
        }
        await tx.CommitAsync(ct);
        return new CancelOutcome.Cancelled(cancelled.Select(c => c.Address).ToArray());
    }

    internal static (string Sql, DynamicParameters Args) BuildQuery(MessageLogDialect dialect, string accountId, MessageFilter filter, MessageId? before, int limit)
    {
        var args = new DynamicParameters(new { AccountId = accountId, Limit = (long)limit });
        var where = new List<string>();
        string from, key;
        var groupBy = "";
        if (filter.Recipient is not null)
        {
            from = "recipients d JOIN messages m ON m.id = d.message_id";
            key = "d.message_id";
            where.Add($"d.account_id = @AccountId AND {dialect.AddressIs}");
            args.Add("Recipient", filter.Recipient);
            if (filter.Status is not null) where.Add("d.status = @Status");
        }
        else if (filter.Tag is not null)
        {
            from = "message_tags d JOIN messages m ON m.id = d.message_id";
            key = "d.message_id";
            where.Add("d.account_id = @AccountId AND d.tag = @Tag");
            if (filter.Status is not null) where.Add("EXISTS (SELECT 1 FROM recipients r WHERE r.message_id = m.id AND r.status = @Status)");
        }
        else if (filter.Status is not null)
        {
            from = "recipients d JOIN messages m ON m.id = d.message_id";
            key = "d.message_id";
            where.Add("d.account_id = @AccountId AND d.status = @Status");
            groupBy = dialect.GroupByMessage;   // several recipients of one message can share the state
        }
        else
        {
            from = "messages m";
            key = "m.id";
            where.Add("m.account_id = @AccountId");
        }
        if (filter.Tag is not null) args.Add("Tag", filter.Tag);
        if (filter.Status is { } status) args.Add("Status", status.ToDb());
        if (filter.Source is { } source)
        {
            where.Add("m.source = @Source");
            args.Add("Source", source.ToDb());
        }
        if (before is { } cursor)
        {
            where.Add($"{key} < @Before");
            args.Add("Before", cursor.ToString());
        }
        if (filter.Since is { } since)
        {
            where.Add($"{key} >= @SinceId");
            args.Add("SinceId", MessageId.FirstTextAt(since));
        }
        if (filter.Until is { } until)
        {
            where.Add($"{key} < @UntilId");
            args.Add("UntilId", MessageId.FirstTextAt(until));
        }

        var sql = new StringBuilder()
            .Append("SELECT m.id AS Id, m.source AS Source, m.envelope_from AS EnvelopeFrom, m.header_from AS HeaderFrom, m.subject AS Subject, ")
            .Append("m.tags AS Tags, m.created_at AS CreatedAt, m.send_at AS SendAt FROM ").Append(from)
            .Append(" WHERE ").Append(string.Join(" AND ", where))
            .Append(' ').Append(groupBy)
            .Append(" ORDER BY ").Append(key).Append(" DESC LIMIT @Limit")
            .ToString();
        return (sql, args);
    }

    private sealed record SummaryRow(string Id, string Source, string EnvelopeFrom, string? HeaderFrom, string? Subject, string? Tags, long CreatedAt, long? SendAt);

    private sealed record RecipientRow(string MessageId, string Address, string Status, string? ReportId);

    private sealed record CancelledRow(long Id, string Address);
}
