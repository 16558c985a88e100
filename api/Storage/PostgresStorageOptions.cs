namespace EmailApi.Storage;

public sealed class PostgresStorageOptions
{
    /// <summary>An Npgsql connection string, e.g. <c>Host=db;Database=emailapi;Username=emailapi;Password=...</c>.</summary>
    public string? ConnectionString { get; set; }
}
