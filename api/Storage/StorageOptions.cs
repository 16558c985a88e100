namespace EmailApi.Storage;

public sealed class StorageOptions
{
    public const string Section = "Storage";

    public string Provider { get; set; } = "Sqlite";
    public SqliteStorageOptions Sqlite { get; set; } = new();
    public PostgresStorageOptions Postgres { get; set; } = new();

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
}
