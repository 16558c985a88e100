using System.Data.Common;
using EmailApi.Storage;

namespace EmailApi.Delivery.MtaSts;

public sealed class SqliteMtaStsPolicyStore(SqliteDb db) : SqlMtaStsPolicyStore
{
    protected override async Task<DbConnection> OpenAsync(CancellationToken ct) => await db.OpenAsync(ct);
}
