namespace EmailApi.Mail;

/// <summary>
/// The relay's own host name (<c>Relay:HostName</c>, Postfix's <c>myhostname</c>): the name the
/// sender gives in EHLO, the domain of the Message-IDs the service makes, the SMTP listeners'
/// greeting and the host in the Received headers it adds. Sending, Delivery, Domains and the
/// listeners all read it here. Unset, it falls back to <c>Delivery:HeloName</c> (its older name,
/// still read) and then to the machine name.
/// </summary>
public sealed class RelayHostOptions
{
    public const string Section = "Relay";

    /// <summary>The key this setting had before it became the whole relay's.</summary>
    public const string OlderKey = "Delivery:HeloName";

    public string HostName { get; set; } = Environment.MachineName;

    /// <summary>The name in effect for <paramref name="configuration"/>: <c>Relay:HostName</c>, else the older key, else the machine name.</summary>
    public static string NameFrom(IConfiguration configuration) =>
        configuration[$"{Section}:HostName"] is { Length: > 0 } name ? name
        : configuration[OlderKey] is { Length: > 0 } older ? older
        : Environment.MachineName;
}
