using System.Net;
using System.Text.RegularExpressions;

namespace EmailApi.SmtpBridge;

/// <summary><see cref="SmtpOptions"/> checked once at start: a bad value stops the host instead of surfacing per session.</summary>
internal sealed partial record BridgeSettings(
    IPAddress Address,
    int Port,
    int ImplicitTlsPort,
    string ServerName,
    int MaxMessageBytes,
    int MaxRecipients,
    NetworkList TrustedNetworks,
    string? TrustedAccount,
    NetworkList PlaintextAuthNetworks,
    int MaxSessions,
    int MaxSessionsPerAddress,
    int MaxConnectionsPerAddressPerMinute,
    NetworkList LimitExemptNetworks,
    int MaxErrors,
    int MaxLineLength,
    TimeSpan CommandTimeout,
    TimeSpan IdleTimeout,
    TimeSpan SessionTimeout,
    int MaxAuthAttempts,
    int MaxAuthFailures,
    TimeSpan AuthFailureWindow,
    TimeSpan AuthLockout,
    TimeSpan AuthFailureDelay,
    bool Inbound = false)
{
    public static BridgeSettings From(SmtpOptions o)
    {
        if (!IPAddress.TryParse(o.Address, out var address))
            throw new InvalidOperationException($"Smtp:Address: '{o.Address}' is not an IP address.");
        if (o.Port is < -1 or > 65535) throw Invalid("Port", "between -1 (off) and 65535");
        if (o.ImplicitTlsPort is < -1 or > 65535) throw Invalid("ImplicitTlsPort", "between -1 (off) and 65535");
        if (o.MaxMessageBytes < 1024) throw Invalid("MaxMessageBytes", "at least 1024");
        if (o.MaxRecipients < 1) throw Invalid("MaxRecipients", "at least 1");
        if (o.MaxSessions < 1) throw Invalid("MaxSessions", "at least 1");
        if (o.MaxSessionsPerAddress < 0) throw Invalid("MaxSessionsPerAddress", "0 (no limit) or more");
        if (o.MaxConnectionsPerAddressPerMinute < 0) throw Invalid("MaxConnectionsPerAddressPerMinute", "0 (no limit) or more");
        if (o.MaxErrors < 1) throw Invalid("MaxErrors", "at least 1");
        if (o.MaxLineLength < 512) throw Invalid("MaxLineLength", "at least 512 (RFC 5321 §4.5.3.1.4)");
        if (o.MaxAuthAttempts < 1) throw Invalid("MaxAuthAttempts", "at least 1");
        if (o.MaxAuthFailures < 1) throw Invalid("MaxAuthFailures", "at least 1");
        foreach (var (name, value) in new[] { ("CommandTimeout", o.CommandTimeout), ("IdleTimeout", o.IdleTimeout), ("SessionTimeout", o.SessionTimeout) })
            if (value <= TimeSpan.Zero) throw Invalid(name, "a positive time span");
        if (o.AuthFailureDelay < TimeSpan.Zero) throw Invalid("AuthFailureDelay", "zero or more");

        var trusted = NetworkList.Parse(o.TrustedNetworks, "Smtp:TrustedNetworks");
        if (!trusted.IsEmpty && string.IsNullOrWhiteSpace(o.TrustedAccount))
            throw new InvalidOperationException("Smtp:TrustedNetworks is set, so Smtp:TrustedAccount must name the account those clients submit as.");
        var exempt = o.ConnectionLimitExemptNetworks is null ? trusted : NetworkList.Parse(o.ConnectionLimitExemptNetworks, "Smtp:ConnectionLimitExemptNetworks");
        var plaintextAuth = o.PlaintextAuthNetworks is null ? NetworkList.Loopback : NetworkList.Parse(o.PlaintextAuthNetworks, "Smtp:PlaintextAuthNetworks");
        var serverName = string.IsNullOrWhiteSpace(o.ServerName) ? Dns.GetHostName() : o.ServerName.Trim();
        if (!HostName().IsMatch(serverName))
            throw new InvalidOperationException($"Smtp:ServerName (or Delivery:HeloName): '{serverName}' is not a host name.");

        return new BridgeSettings(address, o.Port, o.ImplicitTlsPort, serverName, o.MaxMessageBytes, o.MaxRecipients,
            trusted, o.TrustedAccount?.Trim(), plaintextAuth, o.MaxSessions, o.MaxSessionsPerAddress,
            o.MaxConnectionsPerAddressPerMinute, exempt, o.MaxErrors, o.MaxLineLength,
            o.CommandTimeout, o.IdleTimeout, o.SessionTimeout, o.MaxAuthAttempts, o.MaxAuthFailures,
            o.AuthFailureWindow, o.AuthLockout, o.AuthFailureDelay, o.Inbound);

        static InvalidOperationException Invalid(string name, string rule) => new($"Smtp:{name} must be {rule}.");
    }

    [GeneratedRegex(@"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,252}[A-Za-z0-9])?$")]
    private static partial Regex HostName();
}
