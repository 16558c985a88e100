namespace EmailApi.Accounts;

public sealed class BootstrapOptions
{
    public const string Section = "Bootstrap";

    /// <summary>On an empty database, the default account gets this key instead of a random one.</summary>
    public string? ApiKey { get; set; }

    public string AccountName { get; set; } = "default";

    /// <summary>
    /// The first account is the operator's own and has no quota unless one is set here; accounts
    /// created later get <c>Accounts:DefaultMonthlyQuota</c>.
    /// </summary>
    public long? MonthlyQuota { get; set; }
}
