namespace EmailApi.Accounts;

public sealed class AccountsOptions
{
    public const string Section = "Accounts";

    /// <summary>The monthly quota, in recipients, of an account created without one (API or command line); empty means unlimited.</summary>
    public long? DefaultMonthlyQuota { get; set; } = 10_000;
}
