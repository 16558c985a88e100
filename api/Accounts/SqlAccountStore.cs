using System.Data.Common;
using Dapper;
using EmailApi.Queue;
using EmailApi.Storage;

namespace EmailApi.Accounts;

/// <summary>
/// Accounts and keys in SQL that SQLite and PostgreSQL run unchanged (a filter that may be NULL is
/// cast to text, so PostgreSQL can type the parameter). The engine's <see cref="SqlDialect"/> says
/// how to open a connection and how a taken name is reported.
/// </summary>
public sealed class SqlAccountStore(SqlDialect sql, TimeProvider clock) : IAccountStore
{

    private const string AccountColumns = """
        id AS Id, name AS Name, created_at AS CreatedAt, disabled AS Disabled, monthly_quota AS MonthlyQuota,
        per_hour AS PerHour, per_minute AS PerMinute, sender_domains AS SenderDomains, updated_at AS UpdatedAt,
        unsubscribe_tags AS UnsubscribeTags
        """;

    private const string KeyListColumns = """
        k.id AS Id, k.account_id AS AccountId, a.name AS AccountName, k.name AS Name, k.scopes AS Scopes,
        k.created_at AS CreatedAt, k.last_used_at AS LastUsedAt, k.revoked_at AS RevokedAt
        """;

    public async Task<bool> AnyAccountAsync(CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition("SELECT EXISTS (SELECT 1 FROM accounts)", cancellationToken: ct));
    }

    public async Task<Account?> FindAccountByNameAsync(string name, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<AccountRow>(new CommandDefinition(
            $"SELECT {AccountColumns} FROM accounts WHERE name = @name", new { name }, cancellationToken: ct));
        return row?.ToAccount();
    }

    public async Task<Account?> FindAccountAsync(string id, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<AccountRow>(new CommandDefinition(
            $"SELECT {AccountColumns} FROM accounts WHERE id = @id", new { id }, cancellationToken: ct));
        return row?.ToAccount();
    }

    public async Task<IReadOnlyList<Account>> ListAccountsAsync(string? afterName, int limit, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        var rows = await connection.QueryAsync<AccountRow>(new CommandDefinition(
            $"SELECT {AccountColumns} FROM accounts WHERE CAST(@afterName AS TEXT) IS NULL OR name > @afterName ORDER BY name LIMIT @limit",
            new { afterName, limit = (long)limit }, cancellationToken: ct));
        return rows.Select(r => r.ToAccount()).ToArray();
    }

    public async Task<Account?> CreateAccountAsync(string name, AccountLimits limits, IReadOnlyList<string> senderDomains,
        IReadOnlyList<string> unsubscribeTags, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var account = new Account($"acct_{MonotonicUuid.Next(clock):N}", name, now, false, limits, senderDomains, null, unsubscribeTags);
        await using var connection = await sql.OpenAsync(ct);
        try
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO accounts (id, name, created_at, disabled, monthly_quota, per_hour, per_minute, sender_domains, unsubscribe_tags)
                VALUES (@Id, @Name, @CreatedAt, 0, @MonthlyQuota, @PerHour, @PerMinute, @SenderDomains, @UnsubscribeTags)
                """, new
            {
                account.Id,
                account.Name,
                CreatedAt = now.ToUnixTimeMilliseconds(),
                limits.MonthlyQuota,
                limits.PerHour,
                limits.PerMinute,
                SenderDomains = JoinDomains(senderDomains),
                UnsubscribeTags = JoinTags(unsubscribeTags),
            }, cancellationToken: ct));
        }
        catch (DbException ex) when (sql.IsUniqueViolation(ex))
        {
            return null;
        }
        return account;
    }

    /// <summary>An account without limits or sender domains (tests and tooling); throws when the name is taken.</summary>
    public async Task<Account> CreateAccountAsync(string name, CancellationToken ct) =>
        await CreateAccountAsync(name, AccountLimits.Unlimited, [], Account.DefaultUnsubscribeTags, ct) ?? throw new InvalidOperationException($"An account named '{name}' already exists.");

    public async Task<AccountUpdate> UpdateAccountAsync(string id, AccountChanges changes, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<AccountRow>(new CommandDefinition(
            $"SELECT {AccountColumns} FROM accounts WHERE id = @id", new { id }, tx, cancellationToken: ct));
        if (row is null) return new AccountUpdate.NotFound();
        var current = row.ToAccount();
        var limits = new AccountLimits(
            changes.MonthlyQuota.Or(current.Limits.MonthlyQuota),
            changes.PerHour.Or(current.Limits.PerHour),
            changes.PerMinute.Or(current.Limits.PerMinute));
        var updated = current with
        {
            Name = changes.Name ?? current.Name,
            Disabled = changes.Disabled ?? current.Disabled,
            Limits = limits,
            SenderDomains = changes.SenderDomains ?? current.SenderDomains,
            UnsubscribeTags = changes.UnsubscribeTags ?? current.UnsubscribeTags,
            UpdatedAt = clock.GetUtcNow(),
        };
        try
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                UPDATE accounts SET name = @Name, disabled = @Disabled, monthly_quota = @MonthlyQuota, per_hour = @PerHour,
                    per_minute = @PerMinute, sender_domains = @SenderDomains, updated_at = @UpdatedAt,
                    unsubscribe_tags = @UnsubscribeTags
                WHERE id = @Id
                """, new
            {
                updated.Id,
                updated.Name,
                Disabled = updated.Disabled ? 1 : 0,
                limits.MonthlyQuota,
                limits.PerHour,
                limits.PerMinute,
                SenderDomains = JoinDomains(updated.SenderDomains),
                UnsubscribeTags = JoinTags(updated.UnsubscribeTags),
                UpdatedAt = updated.UpdatedAt!.Value.ToUnixTimeMilliseconds(),
            }, tx, cancellationToken: ct));
        }
        catch (DbException ex) when (sql.IsUniqueViolation(ex))
        {
            return new AccountUpdate.NameTaken();
        }
        await tx.CommitAsync(ct);
        return new AccountUpdate.Updated(updated);
    }

    public async Task<string> AddKeyAsync(string accountId, string name, byte[] hash, IReadOnlyList<string> scopes, CancellationToken ct)
    {
        var id = ApiKey.IdOf(hash);
        await using var connection = await sql.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO api_keys (id, account_id, name, hash, scopes, created_at) VALUES (@id, @accountId, @name, @hash, @scopes, @now)
            """, new { id, accountId, name, hash, scopes = string.Join(',', scopes), now = clock.GetUtcNow().ToUnixTimeMilliseconds() }, cancellationToken: ct));
        return id;
    }

    public async Task<StoredKey?> FindKeyAsync(string id, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<KeyRow>(new CommandDefinition("""
            SELECT k.id AS Id, k.account_id AS AccountId, k.name AS Name, k.hash AS Hash, k.scopes AS Scopes,
                   k.revoked_at AS RevokedAt, a.disabled AS Disabled
            FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.id = @id
            """, new { id }, cancellationToken: ct));
        return row is null
            ? null
            : new StoredKey(row.Id, row.AccountId, row.Name, row.Hash, row.Scopes.Split(',', StringSplitOptions.RemoveEmptyEntries), row.RevokedAt is not null, row.Disabled != 0);
    }

    public async Task<IReadOnlyList<KeySummary>> ListKeysAsync(string? accountId, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        var rows = await connection.QueryAsync<KeyListRow>(new CommandDefinition($"""
            SELECT {KeyListColumns}
            FROM api_keys k JOIN accounts a ON a.id = k.account_id
            WHERE CAST(@accountId AS TEXT) IS NULL OR k.account_id = @accountId
            ORDER BY a.name, k.created_at, k.id
            """, new { accountId }, cancellationToken: ct));
        return rows.Select(r => new KeySummary(r.Id, r.AccountId, r.AccountName, r.Name, r.Scopes.Split(',', StringSplitOptions.RemoveEmptyEntries),
            FromMs(r.CreatedAt), r.LastUsedAt is null ? null : FromMs(r.LastUsedAt.Value), r.RevokedAt is null ? null : FromMs(r.RevokedAt.Value))).ToArray();
    }

    public async Task<bool> RevokeKeyAsync(string? accountId, string id, CancellationToken ct)
    {
        await using var connection = await sql.OpenAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE api_keys SET revoked_at = @now WHERE id = @id AND revoked_at IS NULL AND (CAST(@accountId AS TEXT) IS NULL OR account_id = @accountId)",
            new { id, accountId, now = clock.GetUtcNow().ToUnixTimeMilliseconds() }, cancellationToken: ct)) == 1;
    }

    public async Task TouchKeyAsync(string id, CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await sql.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE api_keys SET last_used_at = @now WHERE id = @id AND (last_used_at IS NULL OR last_used_at <= @now - 60000)",
            new { id, now }, cancellationToken: ct));
    }

    public async Task<IReadOnlyDictionary<LimitPeriod, long>> GetUsageAsync(string accountId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var usage = new Dictionary<LimitPeriod, long>();
        await using var connection = await sql.OpenAsync(ct);
        foreach (var period in Enum.GetValues<LimitPeriod>())
        {
            usage[period] = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                "SELECT used FROM account_usage WHERE account_id = @accountId AND period = @period AND window_start = @start",
                new { accountId, period = period.ToDb(), start = period.WindowStart(now).ToUnixTimeMilliseconds() }, cancellationToken: ct)) ?? 0;
        }
        return usage;
    }

    private static string? JoinDomains(IReadOnlyList<string> domains) => domains.Count == 0 ? null : string.Join(',', domains);

    /// <summary>
    /// Tags as a JSON array, since a tag may hold any character but a line break (commas included);
    /// NULL for none, which is also what accounts from before migration 10 hold.
    /// </summary>
    private static string? JoinTags(IReadOnlyList<string> tags) => tags.Count == 0 ? null : System.Text.Json.JsonSerializer.Serialize(tags);

    private static IReadOnlyList<string> SplitTags(string? tags) =>
        tags is null ? [] : System.Text.Json.JsonSerializer.Deserialize<string[]>(tags) ?? [];

    private static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private sealed record AccountRow(
        string Id, string Name, long CreatedAt, long Disabled, long? MonthlyQuota, long? PerHour, long? PerMinute, string? SenderDomains, long? UpdatedAt,
        string? UnsubscribeTags)
    {
        public Account ToAccount() => new(Id, Name, FromMs(CreatedAt), Disabled != 0, new AccountLimits(MonthlyQuota, PerHour, PerMinute),
            SenderDomains?.Split(',', StringSplitOptions.RemoveEmptyEntries) ?? [], UpdatedAt is null ? null : FromMs(UpdatedAt.Value),
            SplitTags(UnsubscribeTags));
    }

    private sealed record KeyRow(string Id, string AccountId, string Name, byte[] Hash, string Scopes, long? RevokedAt, long Disabled);

    private sealed record KeyListRow(string Id, string AccountId, string AccountName, string Name, string Scopes, long CreatedAt, long? LastUsedAt, long? RevokedAt);
}
