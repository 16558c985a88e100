namespace EmailApi.Sending;

/// <summary><c>Dkim:Domains:&lt;domain&gt;:Selector</c> and <c>PrivateKeyPath</c> (PEM, RSA) per signing domain.</summary>
public sealed class DkimOptions
{
    public const string Section = "Dkim";

    public Dictionary<string, DkimDomainOptions> Domains { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

public sealed class DkimDomainOptions
{
    public string Selector { get; set; } = "";
    public string PrivateKeyPath { get; set; } = "";
}
