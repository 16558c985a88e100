using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace EmailApi.Storage;

public sealed class SqliteDialect(SqliteDb db) : SqlDialect
{
    private const int SqliteConstraintUnique = 2067;

    public SqliteDb Db => db;

    public override bool Shared => false;

    public override async Task<DbConnection> OpenAsync(CancellationToken ct) => await db.OpenAsync(ct);

    public override bool IsUniqueViolation(DbException ex) => ex is SqliteException { SqliteExtendedErrorCode: SqliteConstraintUnique };

    public override string AnyOf(string parameter) => $"IN {parameter}";

    public override string EqualsNoCase(string column, string parameter) => $"{column} = {parameter} COLLATE NOCASE";

    public override string SkipLocked => "";

    public override string GroupBy(string key, string joinedKey) => $"GROUP BY {key}";
}
