using System.Data.Common;
using EmailApi.Storage;
using Npgsql;

namespace EmailApi.Accounts;

/// <summary>Accounts and keys on PostgreSQL: <see cref="SqlAccountStore"/>'s statements; a taken name is a unique violation (23505).</summary>
public sealed class PostgresAccountStore(PostgresDb db, TimeProvider clock) : SqlAccountStore(clock)
{
    protected override async Task<DbConnection> OpenAsync(CancellationToken ct) => await db.OpenAsync(ct);

    protected override bool IsUniqueViolation(DbException ex) => ex is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };
}
