using System.Data.Common;
using EmailApi.Storage;

namespace EmailApi.Feedback;

public sealed class PostgresFeedbackStore(PostgresDb db) : SqlFeedbackStore
{
    protected override async Task<DbConnection> OpenAsync(CancellationToken ct) => await db.OpenAsync(ct);
}
