using System.Data.Common;
using EmailApi.Storage;
using Microsoft.Data.Sqlite;

namespace EmailApi.Accounts;

public sealed class SqliteAccountStore(SqliteDb db, TimeProvider clock) : SqlAccountStore(clock)
{
    private const int SqliteConstraintUnique = 2067;

    protected override async Task<DbConnection> OpenAsync(CancellationToken ct) => await db.OpenAsync(ct);

    protected override bool IsUniqueViolation(DbException ex) => ex is SqliteException { SqliteExtendedErrorCode: SqliteConstraintUnique };
}
