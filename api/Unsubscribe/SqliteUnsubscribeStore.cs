using System.Data.Common;
using EmailApi.Storage;

namespace EmailApi.Unsubscribe;

public sealed class SqliteUnsubscribeStore(SqliteDb db) : SqlUnsubscribeStore
{
    protected override async Task<DbConnection> OpenAsync(CancellationToken ct) => await db.OpenAsync(ct);
}
