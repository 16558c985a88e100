using System.Data.Common;
using EmailApi.Storage;
using Microsoft.Data.Sqlite;

namespace EmailApi.Domains;

public sealed class SqliteDomainStore(SqliteDb db) : SqlDomainStore
{
    private const int SqliteConstraintUnique = 2067;

    protected override async Task<DbConnection> OpenAsync(CancellationToken ct) => await db.OpenAsync(ct);

    protected override bool IsUniqueViolation(DbException ex) => ex is SqliteException { SqliteExtendedErrorCode: SqliteConstraintUnique };
}
