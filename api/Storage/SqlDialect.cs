using System.Data.Common;

namespace EmailApi.Storage;

/// <summary>
/// What one database engine contributes to SQL that is otherwise written once: how a connection is
/// opened, how a unique index reports a clash, and the few spellings the engines do not share
/// (array parameters, case-insensitive comparison, grouping over a join). Every store that is not on
/// a hot path takes this and nothing engine-specific; <see cref="StorageRegistration.AddStorage"/>
/// registers the one for the configured provider.
/// </summary>
public abstract class SqlDialect
{
    /// <summary>True where many nodes share the database (PostgreSQL); false where this process is its only user (SQLite).</summary>
    public abstract bool Shared { get; }

    public abstract Task<DbConnection> OpenAsync(CancellationToken ct);

    /// <summary>The error a unique index raises.</summary>
    public abstract bool IsUniqueViolation(DbException ex);

    /// <summary>"is one of" an array parameter: <c>IN @p</c> (Dapper expands the list) or <c>= ANY(@p)</c> (bound as one array).</summary>
    public abstract string AnyOf(string parameter);

    /// <summary><paramref name="column"/> equals <paramref name="parameter"/> under the <c>nocase</c> collation its index was built with.</summary>
    public abstract string EqualsNoCase(string column, string parameter);

    /// <summary>
    /// Ends a SELECT that picks rows to change: on PostgreSQL it locks them and skips rows another
    /// node's transaction holds (<c>FOR UPDATE SKIP LOCKED</c>), so nodes working at once take
    /// different rows; SQLite has one writer and needs nothing.
    /// </summary>
    public abstract string SkipLocked { get; }

    /// <summary>
    /// A GROUP BY on <paramref name="key"/> that selects columns of the joined table whose primary key
    /// is <paramref name="joinedKey"/>: PostgreSQL wants that key named, SQLite walks its index on
    /// <paramref name="key"/> only when it is grouped alone.
    /// </summary>
    public abstract string GroupBy(string key, string joinedKey);
}
