using Microsoft.Extensions.Options;
using Npgsql;

namespace EmailApi.Storage;

/// <summary>
/// Pooled connections to the shared PostgreSQL database (<c>Storage:Postgres:ConnectionString</c>).
/// Every node of a scaled-out relay opens its own pool against the same database; durability is
/// PostgreSQL's own (<c>synchronous_commit</c> on by default), so a commit that returned is on disk.
/// </summary>
public sealed class PostgresDb : IAsyncDisposable, IDisposable
{
    private readonly NpgsqlDataSource _source;

    public PostgresDb(IOptions<StorageOptions> options)
        : this(options.Value.Postgres.ConnectionString
            ?? throw new InvalidOperationException("Storage:Provider is Postgres but Storage:Postgres:ConnectionString is not set."))
    {
    }

    public PostgresDb(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        // The name shows in pg_stat_activity, so an operator can tell which node holds a lock.
        if (string.IsNullOrEmpty(builder.ApplicationName)) builder.ApplicationName = $"emailapi@{Environment.MachineName}:{Environment.ProcessId}";
        ConnectionString = builder.ConnectionString;
        Database = builder.Database ?? builder.Username ?? "postgres";
        _source = NpgsqlDataSource.Create(builder);
    }

    public string ConnectionString { get; }

    /// <summary>The database's name, for log lines (never the whole connection string: it may hold a password).</summary>
    public string Database { get; }

    public async Task<NpgsqlConnection> OpenAsync(CancellationToken ct) => await _source.OpenConnectionAsync(ct);

    public ValueTask DisposeAsync() => _source.DisposeAsync();

    public void Dispose() => _source.Dispose();
}
