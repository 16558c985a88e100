using Dapper;
using EmailApi.Storage;

namespace EmailApi.Accounts;

public sealed class SqliteAccountStore(SqliteDb db, TimeProvider clock) : IAccountStore
{
    public async Task<bool> AnyAccountAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT EXISTS (SELECT 1 FROM accounts)", cancellationToken: ct)) == 1;
    }

    public async Task<Account?> FindAccountByNameAsync(string name, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<AccountRow>(new CommandDefinition(
            "SELECT id AS Id, name AS Name, created_at AS CreatedAt, disabled AS Disabled FROM accounts WHERE name = @name",
            new { name }, cancellationToken: ct));
        return row?.ToAccount();
    }

    public async Task<Account> CreateAccountAsync(string name, CancellationToken ct)
    {
        var account = new Account($"acct_{Guid.CreateVersion7(clock.GetUtcNow()):N}", name, clock.GetUtcNow(), false);
        await using var connection = await db.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO accounts (id, name, created_at, disabled) VALUES (@Id, @Name, @CreatedAt, 0)",
            new { account.Id, account.Name, CreatedAt = account.CreatedAt.ToUnixTimeMilliseconds() }, cancellationToken: ct));
        return account;
    }

    public async Task<string> AddKeyAsync(string accountId, string name, byte[] hash, IReadOnlyList<string> scopes, CancellationToken ct)
    {
        var id = ApiKey.IdOf(hash);
        await using var connection = await db.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO api_keys (id, account_id, name, hash, scopes, created_at) VALUES (@id, @accountId, @name, @hash, @scopes, @now)
            """, new { id, accountId, name, hash, scopes = string.Join(',', scopes), now = clock.GetUtcNow().ToUnixTimeMilliseconds() }, cancellationToken: ct));
        return id;
    }

    public async Task<StoredKey?> FindKeyAsync(string id, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<KeyRow>(new CommandDefinition("""
            SELECT k.id AS Id, k.account_id AS AccountId, k.name AS Name, k.hash AS Hash, k.scopes AS Scopes,
                   k.revoked_at AS RevokedAt, a.disabled AS Disabled
            FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.id = @id
            """, new { id }, cancellationToken: ct));
        return row is null
            ? null
            : new StoredKey(row.Id, row.AccountId, row.Name, row.Hash, row.Scopes.Split(',', StringSplitOptions.RemoveEmptyEntries), row.RevokedAt is not null, row.Disabled != 0);
    }

    public async Task<IReadOnlyList<KeySummary>> ListKeysAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var rows = await connection.QueryAsync<KeyListRow>(new CommandDefinition("""
            SELECT k.id AS Id, a.name AS AccountName, k.name AS Name, k.scopes AS Scopes, k.created_at AS CreatedAt, k.revoked_at AS RevokedAt
            FROM api_keys k JOIN accounts a ON a.id = k.account_id ORDER BY a.name, k.created_at
            """, cancellationToken: ct));
        return rows.Select(r => new KeySummary(r.Id, r.AccountName, r.Name, r.Scopes.Split(',', StringSplitOptions.RemoveEmptyEntries),
            DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt), r.RevokedAt is null ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.RevokedAt.Value))).ToArray();
    }

    public async Task<bool> RevokeKeyAsync(string id, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE api_keys SET revoked_at = @now WHERE id = @id AND revoked_at IS NULL",
            new { id, now = clock.GetUtcNow().ToUnixTimeMilliseconds() }, cancellationToken: ct)) == 1;
    }

    private sealed record AccountRow(string Id, string Name, long CreatedAt, long Disabled)
    {
        public Account ToAccount() => new(Id, Name, DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt), Disabled != 0);
    }

    private sealed record KeyRow(string Id, string AccountId, string Name, byte[] Hash, string Scopes, long? RevokedAt, long Disabled);

    private sealed record KeyListRow(string Id, string AccountName, string Name, string Scopes, long CreatedAt, long? RevokedAt);
}
