using System.Data.Common;
using Npgsql;

namespace EmailApi.Storage;

/// <summary>PostgreSQL's spellings: arrays bound whole, the <c>nocase</c> ICU collation applied to the column, a taken key is 23505.</summary>
public sealed class PostgresDialect(PostgresDb db) : SqlDialect
{
    public PostgresDb Db => db;

    public override bool Shared => true;

    public override async Task<DbConnection> OpenAsync(CancellationToken ct) => await db.OpenAsync(ct);

    public override bool IsUniqueViolation(DbException ex) => ex is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    public override string AnyOf(string parameter) => $"= ANY({parameter})";

    public override string EqualsNoCase(string column, string parameter) => $"{column} COLLATE nocase = {parameter}";

    public override string SkipLocked => "FOR UPDATE SKIP LOCKED";

    public override string GroupBy(string key, string joinedKey) => $"GROUP BY {key}, {joinedKey}";
}
