using System.Data.Common;
using EmailApi.Storage;

namespace EmailApi.Feedback;

public sealed class SqliteFeedbackStore(SqliteDb db) : SqlFeedbackStore
{
    protected override async Task<DbConnection> OpenAsync(CancellationToken ct) => await db.OpenAsync(ct);
}
