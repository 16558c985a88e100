using System.Data.Common;
using EmailApi.Storage;

namespace EmailApi.Delivery.MtaSts;

/// <summary>The MTA-STS policy cache on PostgreSQL, shared by every node: <see cref="SqlMtaStsPolicyStore"/>'s statements.</summary>
public sealed class PostgresMtaStsPolicyStore(PostgresDb db) : SqlMtaStsPolicyStore
{
    protected override async Task<DbConnection> OpenAsync(CancellationToken ct) => await db.OpenAsync(ct);
}
