using System.Data.Common;
using System.Text.Json;
using Dapper;
using EmailApi.Storage;

namespace EmailApi.Domains;

/// <summary>
/// <see cref="IDomainStore"/> in SQL that SQLite and PostgreSQL run unchanged (a filter that may be
/// NULL is cast to text so PostgreSQL can type it); the engine's <see cref="SqlDialect"/> opens the
/// connection and tells a taken name. Enums are stored as their lower-case names, times as Unix ms.
/// </summary>
public sealed class SqlDomainStore(SqlDialect sql) : IDomainStore
{

    private const string DomainColumns = """
        id AS Id, account_id AS AccountId, name AS Name, status AS Status, dmarc_rua AS DmarcRua, checks AS Checks,
        last_error AS LastError, created_at AS CreatedAt, verified_at AS VerifiedAt, checked_at AS CheckedAt,
        next_check_at AS NextCheckAt, check_failures AS CheckFailures
        """;

    private const string KeyColumns = """
        k.id AS Id, k.domain_id AS DomainId, k.selector AS Selector, k.algorithm AS Algorithm, k.public_key AS PublicKey,
        k.private_key AS PrivateKey, k.state AS State, k.created_at AS CreatedAt, k.activated_at AS ActivatedAt, k.retire_after AS RetireAfter
        """;

    public async Task<DomainCreate> CreateAsync(SendingDomain domain, IReadOnlyList<DomainKey> keys, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        try
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO domains (id, account_id, name, status, dmarc_rua, checks, last_error, created_at, verified_at, checked_at, next_check_at, check_failures)
                VALUES (@Id, @AccountId, @Name, @Status, @DmarcRua, @Checks, @LastError, @CreatedAt, @VerifiedAt, @CheckedAt, @NextCheckAt, @CheckFailures)
                """, DomainParameters(domain), tx, cancellationToken: ct));
        }
        catch (DbException ex) when (sql.IsUniqueViolation(ex))
        {
            await tx.RollbackAsync(ct);
            var owner = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
                "SELECT account_id FROM domains WHERE name = @Name", new { domain.Name }, cancellationToken: ct));
            return new DomainCreate.NameTaken(owner == domain.AccountId);
        }
        foreach (var key in keys) await InsertKeyAsync(connection, tx, key, ct);
        await tx.CommitAsync(ct);
        return new DomainCreate.Created(domain);
    }

    public async Task<SendingDomain?> FindAsync(string id, string? accountId, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<DomainRow>(new CommandDefinition(
            $"SELECT {DomainColumns} FROM domains WHERE id = @id AND (CAST(@accountId AS TEXT) IS NULL OR account_id = @accountId)",
            new { id, accountId }, cancellationToken: ct));
        return row?.ToDomain();
    }

    public async Task<bool> ExistsAsync(string name, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM domains WHERE name = @name", new { name }, cancellationToken: ct)) > 0;
    }

    public async Task<IReadOnlyList<SendingDomain>> ListAsync(string? accountId, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        var rows = await connection.QueryAsync<DomainRow>(new CommandDefinition(
            $"SELECT {DomainColumns} FROM domains WHERE CAST(@accountId AS TEXT) IS NULL OR account_id = @accountId ORDER BY name",
            new { accountId }, cancellationToken: ct));
        return rows.Select(r => r.ToDomain()).ToArray();
    }

    public async Task<int> CountAsync(string accountId, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        return (int)await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM domains WHERE account_id = @accountId", new { accountId }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<DomainKey>> KeysAsync(string domainId, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        var rows = await connection.QueryAsync<KeyRow>(new CommandDefinition(
            $"SELECT {KeyColumns} FROM domain_keys k WHERE k.domain_id = @domainId ORDER BY k.created_at, k.id", new { domainId }, cancellationToken: ct));
        return rows.Select(r => r.ToKey()).ToArray();
    }

    public async Task AddKeyAsync(DomainKey key, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await InsertKeyAsync(connection, tx, key, ct);
        await tx.CommitAsync(ct);
    }

    public async Task<bool> DeleteAsync(string id, string? accountId, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var found = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT id FROM domains WHERE id = @id AND (CAST(@accountId AS TEXT) IS NULL OR account_id = @accountId)",
            new { id, accountId }, tx, cancellationToken: ct));
        if (found is null) return false;
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM domain_keys WHERE domain_id = @id", new { id }, tx, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM domains WHERE id = @id", new { id }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return true;
    }

    public async Task<bool> TryClaimCheckAsync(string id, DateTimeOffset now, DateTimeOffset notCheckedSince, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        var claimed = await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE domains SET checked_at = @now WHERE id = @id AND (checked_at IS NULL OR checked_at <= @since)
            """, new { id, now = now.ToUnixTimeMilliseconds(), since = notCheckedSince.ToUnixTimeMilliseconds() }, cancellationToken: ct));
        return claimed == 1;
    }

    public async Task SaveCheckAsync(SendingDomain domain, IReadOnlyList<DomainKey> changedKeys, IReadOnlyList<string> droppedKeyIds,
        IReadOnlyList<DomainEvent> events, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var updated = await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE domains SET status = @Status, checks = @Checks, last_error = @LastError, verified_at = @VerifiedAt,
                checked_at = @CheckedAt, next_check_at = @NextCheckAt, check_failures = @CheckFailures
            WHERE id = @Id
            """, DomainParameters(domain), tx, cancellationToken: ct));
        if (updated == 0) return;   // deleted while it was being checked
        foreach (var key in changedKeys)
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                UPDATE domain_keys SET state = @State, activated_at = @ActivatedAt, retire_after = @RetireAfter WHERE id = @Id
                """, new
            {
                key.Id,
                State = Text(key.State),
                ActivatedAt = key.ActivatedAt?.ToUnixTimeMilliseconds(),
                RetireAfter = key.RetireAfter?.ToUnixTimeMilliseconds(),
            }, tx, cancellationToken: ct));
        }
        foreach (var id in droppedKeyIds)
            await connection.ExecuteAsync(new CommandDefinition("DELETE FROM domain_keys WHERE id = @id", new { id }, tx, cancellationToken: ct));
        foreach (var e in events)
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO domain_events (account_id, domain_id, domain, type, detail, created_at)
                VALUES (@AccountId, @DomainId, @Domain, @Type, @Detail, @CreatedAt)
                """, new { e.AccountId, e.DomainId, e.Domain, e.Type, e.Detail, CreatedAt = e.CreatedAt.ToUnixTimeMilliseconds() }, tx, cancellationToken: ct));
        }
        await tx.CommitAsync(ct);
    }

    public async Task<IReadOnlyList<SendingDomain>> DueAsync(DateTimeOffset now, int limit, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        var rows = await connection.QueryAsync<DomainRow>(new CommandDefinition(
            $"SELECT {DomainColumns} FROM domains WHERE next_check_at <= @now ORDER BY next_check_at LIMIT @limit",
            new { now = now.ToUnixTimeMilliseconds(), limit = (long)limit }, cancellationToken: ct));
        return rows.Select(r => r.ToDomain()).ToArray();
    }

    public async Task<IReadOnlyList<VerifiedDomain>> VerifiedAsync(string accountId, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        var names = (await connection.QueryAsync<(string Id, string Name)>(new CommandDefinition(
            "SELECT id, name FROM domains WHERE account_id = @accountId AND status = 'verified'", new { accountId }, cancellationToken: ct))).ToArray();
        if (names.Length == 0) return [];
        var keys = (await connection.QueryAsync<KeyRow>(new CommandDefinition($"""
            SELECT {KeyColumns} FROM domain_keys k JOIN domains d ON d.id = k.domain_id
            WHERE d.account_id = @accountId AND d.status = 'verified' AND k.state = 'active'
            ORDER BY k.created_at, k.id
            """, new { accountId }, cancellationToken: ct))).Select(r => r.ToKey()).ToLookup(k => k.DomainId);
        return names.Select(n => new VerifiedDomain(n.Name, keys[n.Id].ToArray())).ToArray();
    }

    public async Task<IReadOnlyList<DomainEvent>> EventsAsync(string accountId, string? domainId, long afterId, int limit, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        var rows = await connection.QueryAsync<EventRow>(new CommandDefinition("""
            SELECT id AS Id, account_id AS AccountId, domain_id AS DomainId, domain AS Domain, type AS Type, detail AS Detail, created_at AS CreatedAt
            FROM domain_events WHERE account_id = @accountId AND (CAST(@domainId AS TEXT) IS NULL OR domain_id = @domainId) AND id > @afterId
            ORDER BY id LIMIT @limit
            """, new { accountId, domainId, afterId, limit = (long)limit }, cancellationToken: ct));
        return rows.Select(r => new DomainEvent(r.Id, r.AccountId, r.DomainId, r.Domain, r.Type, r.Detail, DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt))).ToArray();
    }

    private static async Task InsertKeyAsync(DbConnection connection, DbTransaction tx, DomainKey key, CancellationToken ct) =>
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO domain_keys (id, domain_id, selector, algorithm, public_key, private_key, state, created_at, activated_at, retire_after)
            VALUES (@Id, @DomainId, @Selector, @Algorithm, @PublicKey, @PrivateKey, @State, @CreatedAt, @ActivatedAt, @RetireAfter)
            """, new
        {
            key.Id,
            key.DomainId,
            key.Selector,
            Algorithm = Text(key.Algorithm),
            key.PublicKey,
            key.PrivateKey,
            State = Text(key.State),
            CreatedAt = key.CreatedAt.ToUnixTimeMilliseconds(),
            ActivatedAt = key.ActivatedAt?.ToUnixTimeMilliseconds(),
            RetireAfter = key.RetireAfter?.ToUnixTimeMilliseconds(),
        }, tx, cancellationToken: ct));

    private static object DomainParameters(SendingDomain d) => new
    {
        d.Id,
        d.AccountId,
        d.Name,
        Status = Text(d.Status),
        d.DmarcRua,
        Checks = d.Checks.Count == 0 ? null : JsonSerializer.Serialize(d.Checks.Values.Select(c =>
            new CheckJson(c.Key, Text(c.Status), c.Found, c.CheckedAt.ToUnixTimeMilliseconds())).ToArray()),
        d.LastError,
        CreatedAt = d.CreatedAt.ToUnixTimeMilliseconds(),
        VerifiedAt = d.VerifiedAt?.ToUnixTimeMilliseconds(),
        CheckedAt = d.CheckedAt?.ToUnixTimeMilliseconds(),
        NextCheckAt = d.NextCheckAt.ToUnixTimeMilliseconds(),
        CheckFailures = (long)d.CheckFailures,
    };

    private static string Text<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    private static T Parse<T>(string value) where T : struct, Enum => Enum.Parse<T>(value, ignoreCase: true);

    private static DateTimeOffset? Time(long? ms) => ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;

    private sealed record CheckJson(string Key, string Status, string? Found, long At);

    private sealed class DomainRow
    {
        public string Id { get; init; } = "";
        public string AccountId { get; init; } = "";
        public string Name { get; init; } = "";
        public string Status { get; init; } = "";
        public string? DmarcRua { get; init; }
        public string? Checks { get; init; }
        public string? LastError { get; init; }
        public long CreatedAt { get; init; }
        public long? VerifiedAt { get; init; }
        public long? CheckedAt { get; init; }
        public long NextCheckAt { get; init; }
        public long CheckFailures { get; init; }

        public SendingDomain ToDomain() => new(Id, AccountId, Name, Parse<DomainStatus>(Status), DmarcRua,
            Checks is null
                ? new Dictionary<string, DnsRecordCheck>()
                : JsonSerializer.Deserialize<CheckJson[]>(Checks)!.ToDictionary(c => c.Key,
                    c => new DnsRecordCheck(c.Key, Parse<RecordStatus>(c.Status), c.Found, DateTimeOffset.FromUnixTimeMilliseconds(c.At))),
            LastError, DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt), Time(VerifiedAt), Time(CheckedAt),
            DateTimeOffset.FromUnixTimeMilliseconds(NextCheckAt), (int)CheckFailures);
    }

    private sealed class KeyRow
    {
        public string Id { get; init; } = "";
        public string DomainId { get; init; } = "";
        public string Selector { get; init; } = "";
        public string Algorithm { get; init; } = "";
        public string PublicKey { get; init; } = "";
        public string PrivateKey { get; init; } = "";
        public string State { get; init; } = "";
        public long CreatedAt { get; init; }
        public long? ActivatedAt { get; init; }
        public long? RetireAfter { get; init; }

        public DomainKey ToKey() => new(Id, DomainId, Selector, Parse<DkimAlgorithm>(Algorithm), PublicKey, PrivateKey, Parse<KeyState>(State),
            DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt), Time(ActivatedAt), Time(RetireAfter));
    }

    private sealed class EventRow
    {
        public long Id { get; init; }
        public string AccountId { get; init; } = "";
        public string DomainId { get; init; } = "";
        public string Domain { get; init; } = "";
        public string Type { get; init; } = "";
        public string? Detail { get; init; }
        public long CreatedAt { get; init; }
    }
}
