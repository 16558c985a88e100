namespace EmailApi.Accounts;

public sealed class BootstrapOptions
{
    public const string Section = "Bootstrap";

    /// <summary>On an empty database, the default account gets this key instead of a random one.</summary>
    public string? ApiKey { get; set; }

    public string AccountName { get; set; } = "default";
}
