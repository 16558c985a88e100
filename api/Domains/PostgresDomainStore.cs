using System.Data.Common;
using EmailApi.Storage;
using Npgsql;

namespace EmailApi.Domains;

/// <summary>Sending domains on PostgreSQL: <see cref="SqlDomainStore"/>'s statements; a taken name is a unique violation (23505).</summary>
public sealed class PostgresDomainStore(PostgresDb db) : SqlDomainStore
{
    protected override async Task<DbConnection> OpenAsync(CancellationToken ct) => await db.OpenAsync(ct);

    protected override bool IsUniqueViolation(DbException ex) => ex is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };
}
