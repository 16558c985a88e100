namespace EmailApi.Storage;

public sealed class StorageOptions
{
    public const string Section = "Storage";

    public string Provider { get; set; } = "Sqlite";
    public SqliteStorageOptions Sqlite { get; set; } = new();
    public PostgresStorageOptions Postgres { get; set; } = new();

    /// <summary>How often the database is checked for being there and writable (readiness and intake follow the last result).</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Below this much free space (for unprivileged writers) in the data folder the service refuses
    /// new mail and reports not ready, so that what it has accepted can still be delivered and
    /// recorded; 0 turns the check off. SQLite only: PostgreSQL's disk is the server's.
    /// </summary>
    public long MinFreeBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>The section as configured, for decisions made before the service provider exists.</summary>
    public static StorageOptions From(IConfiguration configuration) => configuration.GetSection(Section).Get<StorageOptions>() ?? new StorageOptions();

    /// <summary>True for <c>Provider=Postgres</c> (or <c>PostgreSQL</c>); anything else but <c>Sqlite</c> is a configuration error.</summary>
    public bool UsesPostgres => Provider.Trim().ToLowerInvariant() switch
    {
        "sqlite" or "" => false,
        "postgres" or "postgresql" => true,
        _ => throw new InvalidOperationException($"Unknown Storage:Provider '{Provider}'. Use Sqlite or Postgres."),
    };
}

public sealed class SqliteStorageOptions
{
    public string Path { get; set; } = "data/emailapi.db";

    /// <summary>
    /// Create an empty database although the identity file beside <see cref="Path"/> shows that one
    /// existed there. Off: a start that finds the database missing (deleted, a disk not mounted)
    /// refuses, instead of quietly starting empty and forgetting the mail it had acknowledged.
    /// </summary>
    public bool AllowCreate { get; set; }
}
