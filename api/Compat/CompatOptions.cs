namespace EmailApi.Compat;

/// <summary>Which hosted-API compatible endpoints this host answers (<c>Compat:SendGrid:Enabled</c>, …); all on by default.</summary>
public sealed class CompatOptions
{
    public const string Section = "Compat";

    public ProviderSwitch SendGrid { get; set; } = new();
    public ProviderSwitch Postmark { get; set; } = new();
    public ProviderSwitch Mailgun { get; set; } = new();
    public ProviderSwitch Resend { get; set; } = new();
}

public sealed class ProviderSwitch
{
    public bool Enabled { get; set; } = true;
}
