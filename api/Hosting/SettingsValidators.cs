using System.Globalization;
using System.Net;
using EmailApi.Accounts;
using EmailApi.Delivery;
using EmailApi.Domains;
using EmailApi.Events;
using EmailApi.Feedback;
using EmailApi.Mail;
using EmailApi.Queue;
using EmailApi.Retention;
using EmailApi.Sending;
using EmailApi.SmtpBridge;
using EmailApi.Storage;
using EmailApi.Unsubscribe;

namespace EmailApi.Hosting;

/// <summary>
/// What each options class accepts. Bounds are where the code stops working (a sender with no
/// slots never delivers; a zero timeout fails every attempt) or stops making sense, not tuning
/// advice. Each method returns one line per problem; see <see cref="SettingsCheck"/>.
/// </summary>
public static class SettingsValidators
{
    public static IReadOnlyList<string> Storage(StorageOptions o, IConfiguration configuration)
    {
        var rules = new SettingRules(StorageOptions.Section);
        var provider = o.Provider.Trim().ToLowerInvariant();
        if (provider is not ("sqlite" or "" or "postgres" or "postgresql"))
            rules.Fail("Provider", $"must be Sqlite or Postgres (was {o.Provider})");
        else if (provider is "postgres" or "postgresql")
            rules.Required("Postgres:ConnectionString", o.Postgres.ConnectionString);
        else
            rules.Required("Sqlite:Path", o.Sqlite.Path);
        rules.Positive("CheckInterval", o.CheckInterval, TimeSpan.FromHours(1));
        rules.Range("MinFreeBytes", o.MinFreeBytes, 0, long.MaxValue);
        return rules.Problems;
    }

    public static IReadOnlyList<string> Delivery(DeliveryOptions o, IConfiguration configuration)
    {
        var rules = new SettingRules(DeliveryOptions.Section);
        rules.Range("MaxConcurrency", o.MaxConcurrency, 1, 10_000);
        rules.Range("PerDomainConcurrency", o.PerDomainConcurrency, 1, 10_000);
        rules.Range("BatchSize", o.BatchSize, 1, 10_000);
        rules.Range("Port", o.Port, 1, 65_535);
        rules.Range("MaxMxHosts", o.MaxMxHosts, 1, 100);
        rules.Positive("DnsTimeout", o.DnsTimeout);
        rules.Positive("LeaseDuration", o.LeaseDuration);
        rules.Positive("PollInterval", o.PollInterval, TimeSpan.FromHours(1));
        // Bounded: a timer cannot be set beyond ~24 days, and every connection would then fail.
        rules.Positive("ConnectTimeout", o.ConnectTimeout, TimeSpan.FromHours(1));
        rules.Positive("GreetingTimeout", o.GreetingTimeout, TimeSpan.FromHours(1));
        rules.Positive("CommandTimeout", o.CommandTimeout);
        rules.Positive("MaxQueueLifetime", o.MaxQueueLifetime);
        if (o.LeaseGatherDelay < TimeSpan.Zero) rules.Fail("LeaseGatherDelay", $"must not be negative (was {o.LeaseGatherDelay:c})");
        if (o.ConnectionCacheTime < TimeSpan.Zero) rules.Fail("ConnectionCacheTime", $"must not be negative (was {o.ConnectionCacheTime:c})");
        rules.Positive("ConnectionReuseTime", o.ConnectionReuseTime);
        rules.Durations(configuration, "RetryDelays");
        for (var i = 0; i < o.DnsServers.Count; i++)
            if (!IsHostAndPort(o.DnsServers[i])) rules.Fail($"DnsServers:{i}", $"must be host or host:port (was {o.DnsServers[i]})");
        for (var i = 0; i < o.PublicAddresses.Count; i++)
            if (!IPAddress.TryParse(o.PublicAddresses[i], out _)) rules.Fail($"PublicAddresses:{i}", $"must be an IP address (was {o.PublicAddresses[i]})");
        foreach (var (domain, policy) in o.Destinations)
        {
            rules.Range($"Destinations:{domain}:Concurrency", policy.Concurrency, 1, 10_000);
            rules.Range($"Destinations:{domain}:MessagesPerMinute", policy.MessagesPerMinute, 1, 1_000_000);
        }
        if (o.SmartHost.Enabled)
        {
            rules.Range("SmartHost:Port", o.SmartHost.Port, 1, 65_535);
            if (string.IsNullOrEmpty(o.SmartHost.Username) != string.IsNullOrEmpty(o.SmartHost.Password))
                rules.Fail("SmartHost:Username", "and Delivery:SmartHost:Password must be set together");
        }
        return rules.Problems;
    }

    /// <summary><c>Relay:HostName</c>, or its older key <c>Delivery:HeloName</c>; both set to different names is a mistake.</summary>
    public static IReadOnlyList<string> RelayHost(RelayHostOptions o, IConfiguration configuration)
    {
        var rules = new SettingRules(RelayHostOptions.Section);
        var name = configuration[$"{RelayHostOptions.Section}:HostName"];
        var older = configuration[RelayHostOptions.OlderKey];
        foreach (var (key, value) in new[] { ($"{RelayHostOptions.Section}:HostName", name), (RelayHostOptions.OlderKey, older) })
            if (!string.IsNullOrEmpty(value) && Uri.CheckHostName(value.TrimEnd('.')) != UriHostNameType.Dns)
                rules.FailKey(key, $"must be a host name (was {value})");
        if (!string.IsNullOrEmpty(name) && !string.IsNullOrEmpty(older) && !string.Equals(name, older, StringComparison.OrdinalIgnoreCase))
            rules.FailKey(RelayHostOptions.OlderKey, $"is the older name of Relay:HostName; set only Relay:HostName (was {older}, Relay:HostName {name})");
        return rules.Problems;
    }

    public static IReadOnlyList<string> HopLimit(HopLimitOptions o, IConfiguration configuration)
    {
        var rules = new SettingRules(DeliveryOptions.Section);
        rules.Range("MaxHops", o.MaxHops, 1, 1000);
        return rules.Problems;
    }

    public static IReadOnlyList<string> Domains(DomainsOptions o, IConfiguration configuration)
    {
        var rules = new SettingRules(DomainsOptions.Section);
        rules.Positive("RecheckInterval", o.RecheckInterval);
        rules.Positive("PendingRecheckMin", o.PendingRecheckMin);
        rules.Positive("PendingRecheckMax", o.PendingRecheckMax);
        if (o.PendingRecheckMax < o.PendingRecheckMin)
            rules.Fail("PendingRecheckMax", $"must be at least Domains:PendingRecheckMin (was {o.PendingRecheckMax:c})");
        if (o.MinVerifyInterval < TimeSpan.Zero) rules.Fail("MinVerifyInterval", $"must not be negative (was {o.MinVerifyInterval:c})");
        if (o.RetiringKeyGrace < TimeSpan.Zero) rules.Fail("RetiringKeyGrace", $"must not be negative (was {o.RetiringKeyGrace:c})");
        rules.Positive("WorkerPollInterval", o.WorkerPollInterval);
        rules.Positive("DnsTimeout", o.DnsTimeout, TimeSpan.FromMinutes(5));
        rules.Range("MaxDomainsPerAccount", o.MaxDomainsPerAccount, 1, 1_000_000);
        if (o.SpfInclude is { } include && DomainName.Normalize(include) is null)
            rules.Fail("SpfInclude", $"must be a domain name (was {include})");
        if (o.ReturnPathLabel.Length is 0 or > 63 || !o.ReturnPathLabel.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            rules.Fail("ReturnPathLabel", $"must be one DNS label of letters, digits and hyphens (was {o.ReturnPathLabel})");
        var inbound = configuration["Inbound:HostName"];
        if (!string.IsNullOrEmpty(inbound) && DomainName.Normalize(inbound) is null)
            rules.FailKey("Inbound:HostName", $"must be a domain name (was {inbound})");
        return rules.Problems;
    }

    public static IReadOnlyList<string> PublicUrl(PublicUrlOptions o, IConfiguration configuration)
    {
        var rules = new SettingRules(PublicUrlOptions.Section);
        // Links in mail must open anywhere: an absolute http(s) URL, without query or fragment, since paths are appended to it.
        if (o.Base is { } url && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http")
                                  || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment) || !string.IsNullOrEmpty(uri.UserInfo)))
            rules.Fail("PublicBaseUrl", $"must be an absolute https:// URL without query or fragment (was {o.PublicBaseUrl})");
        return rules.Problems;
    }

    public static IReadOnlyList<string> Sending(SendingOptions o, IConfiguration configuration)
    {
        var rules = new SettingRules(SendingOptions.Section);
        rules.Range("MaxMessageBytes", o.MaxMessageBytes, 1024, int.MaxValue);
        rules.Range("MaxRecipients", o.MaxRecipients, 1, 10_000);
        return rules.Problems;
    }

    public static IReadOnlyList<string> Dkim(DkimOptions o, IConfiguration configuration)
    {
        var rules = new SettingRules(DkimOptions.Section);
        foreach (var (domain, key) in o.Domains)
        {
            rules.Required($"Domains:{domain}:Selector", key.Selector);
            rules.Required($"Domains:{domain}:PrivateKeyPath", key.PrivateKeyPath);
            rules.FileExists($"Domains:{domain}:PrivateKeyPath", key.PrivateKeyPath);
            if (File.Exists(key.PrivateKeyPath) && !IsPrivateKey(key.PrivateKeyPath))
                rules.Fail($"Domains:{domain}:PrivateKeyPath", $"is not a PEM private key (was {key.PrivateKeyPath})");
        }
        return rules.Problems;
    }

    public static IReadOnlyList<string> Inbound(InboundOptions o, IConfiguration configuration)
    {
        var rules = new SettingRules(InboundOptions.Section);
        if (!IPAddress.TryParse(o.Address, out _)) rules.Fail("Address", $"must be an IP address (was {o.Address})");
        rules.Range("Port", o.Port, -1, 65_535);
        rules.Range("MaxMessageBytes", o.MaxMessageBytes, 1024, int.MaxValue);
        rules.Positive("PollInterval", o.PollInterval, TimeSpan.FromHours(1));
        rules.Range("SoftBouncesToSuppress", o.SoftBouncesToSuppress, 1, 1000);
        rules.Positive("SoftBounceWindow", o.SoftBounceWindow, TimeSpan.FromDays(365));
        return rules.Problems;
    }

    public static IReadOnlyList<string> Smtp(SmtpOptions o, IConfiguration configuration)
    {
        var rules = new SettingRules(SmtpOptions.Section);
        if (!IPAddress.TryParse(o.Address, out _)) rules.Fail("Address", $"must be an IP address (was {o.Address})");
        rules.Range("Port", o.Port, -1, 65_535);
        rules.Range("ImplicitTlsPort", o.ImplicitTlsPort, -1, 65_535);
        rules.Range("MaxMessageBytes", o.MaxMessageBytes, 1024, int.MaxValue);
        rules.Range("MaxRecipients", o.MaxRecipients, 1, 10_000);
        rules.Range("MaxSessions", o.MaxSessions, 1, 100_000);
        rules.Range("MaxErrors", o.MaxErrors, 1, 1000);
        rules.Range("MaxLineLength", o.MaxLineLength, 512, 1_048_576);
        rules.Range("MaxAuthAttempts", o.MaxAuthAttempts, 1, 1000);
        rules.Range("MaxAuthFailures", o.MaxAuthFailures, 1, 1_000_000);
        rules.Range("MaxSessionsPerAddress", o.MaxSessionsPerAddress, 0, 100_000);
        rules.Range("MaxConnectionsPerAddressPerMinute", o.MaxConnectionsPerAddressPerMinute, 0, 10_000_000);
        Networks(rules, "ConnectionLimitExemptNetworks", o.ConnectionLimitExemptNetworks ?? []);
        rules.Positive("CommandTimeout", o.CommandTimeout);
        rules.Positive("IdleTimeout", o.IdleTimeout);
        rules.Positive("SessionTimeout", o.SessionTimeout);
        rules.Positive("AuthFailureWindow", o.AuthFailureWindow);
        if (o.AuthLockout < TimeSpan.Zero) rules.Fail("AuthLockout", $"must not be negative (was {o.AuthLockout:c})");
        if (o.AuthFailureDelay < TimeSpan.Zero) rules.Fail("AuthFailureDelay", $"must not be negative (was {o.AuthFailureDelay:c})");
        Networks(rules, "TrustedNetworks", o.TrustedNetworks);
        Networks(rules, "PlaintextAuthNetworks", o.PlaintextAuthNetworks ?? []);
        if (o.TrustedNetworks.Count > 0) rules.Required("TrustedAccount", o.TrustedAccount);
        rules.FileExists("Certificate:Path", o.Certificate.Path);
        rules.FileExists("Certificate:KeyPath", o.Certificate.KeyPath);
        return rules.Problems;
    }

    public static IReadOnlyList<string> MtaSts(EmailApi.Delivery.MtaSts.MtaStsOptions o, IConfiguration configuration)
    {
        var rules = new SettingRules(EmailApi.Delivery.MtaSts.MtaStsOptions.Section);
        // RFC 8461 §3.3 suggests no more than a minute for the whole fetch.
        rules.Positive("FetchTimeout", o.FetchTimeout, TimeSpan.FromMinutes(1));
        rules.Range("PolicyPort", o.PolicyPort, 1, 65_535);
        rules.FileExists("TrustedRootsFile", o.TrustedRootsFile);
        return rules.Problems;
    }

    public static IReadOnlyList<string> TlsReports(EmailApi.TlsReports.TlsReportOptions o, IConfiguration configuration)
    {
        var rules = new SettingRules(EmailApi.TlsReports.TlsReportOptions.Section);
        rules.Positive("CheckInterval", o.CheckInterval);
        rules.Range("KeepDays", o.KeepDays, 2, 366);
        if (!o.Enabled) return rules.Problems;
        rules.Required("OrganizationName", o.OrganizationName);
        rules.Required("ContactInfo", o.ContactInfo);
        rules.Required("Account", o.Account);
        if (!MimeKit.MailboxAddress.TryParse(o.From, out var from) || !from.Address.Contains('@'))
            rules.Fail("From", $"must be an email address when TlsReports:Enabled is true (was {o.From})");
        return rules.Problems;
    }

    public static IReadOnlyList<string> Webhooks(WebhookOptions o, IConfiguration configuration)
    {
        var rules = new SettingRules(WebhookOptions.Section);
        rules.Durations(configuration, "RetryDelays");
        rules.Positive("DisableAfter", o.DisableAfter);
        rules.Positive("Timeout", o.Timeout);
        rules.Positive("PollInterval", o.PollInterval, TimeSpan.FromHours(1));
        rules.Range("MaxConcurrency", o.MaxConcurrency, 1, 10_000);
        for (var i = 0; i < o.DnsServers.Count; i++)
            if (!IPEndPoint.TryParse(o.DnsServers[i], out _)) rules.Fail($"DnsServers:{i}", $"must be an IP address with an optional port (was {o.DnsServers[i]})");
        return rules.Problems;
    }

    public static IReadOnlyList<string> Retention(RetentionOptions o, IConfiguration configuration)
    {
        var rules = new SettingRules(RetentionOptions.Section);
        rules.Range("Days", o.Days, 1, 36_500);
        rules.Range("StatusDays", o.StatusDays, 0, 36_500);
        rules.Positive("Interval", o.Interval);
        return rules.Problems;
    }

    public static IReadOnlyList<string> Accounts(AccountsOptions o, IConfiguration configuration)
    {
        var rules = new SettingRules(AccountsOptions.Section);
        rules.Range("DefaultMonthlyQuota", o.DefaultMonthlyQuota, 0, long.MaxValue);
        return rules.Problems;
    }

    public static IReadOnlyList<string> Bootstrap(BootstrapOptions o, IConfiguration configuration)
    {
        var rules = new SettingRules(BootstrapOptions.Section);
        rules.Required("AccountName", o.AccountName);
        rules.Range("MonthlyQuota", o.MonthlyQuota, 0, long.MaxValue);
        return rules.Problems;
    }

    public static IReadOnlyList<string> Health(HealthOptions o, IConfiguration configuration)
    {
        var rules = new SettingRules(HealthOptions.Section);
        rules.Positive("SenderStallAfter", o.SenderStallAfter);
        return rules.Problems;
    }

    /// <summary>Each provider's switch is a bool, which the conversion check already holds to true or false; nothing else can be wrong.</summary>
    public static IReadOnlyList<string> Compat(Compat.CompatOptions o, IConfiguration configuration) => new SettingRules(EmailApi.Compat.CompatOptions.Section).Problems;

    public static IReadOnlyList<string> Console(WebConsole.ConsoleOptions o, IConfiguration configuration)
    {
        var rules = new SettingRules(WebConsole.ConsoleOptions.Section);
        rules.Positive("SessionLifetime", o.SessionLifetime, TimeSpan.FromDays(30));
        rules.Range("RefreshSeconds", o.RefreshSeconds, 1, 3600);
        return rules.Problems;
    }

    private static void Networks(SettingRules rules, string name, List<string> entries)
    {
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i].Trim();
            if (entry.Length > 0 && !IPNetwork.TryParse(entry, out _) && !IPAddress.TryParse(entry, out _))
                rules.Fail($"{name}:{i}", $"must be a CIDR range such as 192.168.0.0/16 (was {entries[i]})");
        }
    }

    private static bool IsHostAndPort(string text)
    {
        if (IPEndPoint.TryParse(text, out _)) return true;
        var parts = text.Split(':');
        return parts.Length is 1 or 2 && Uri.CheckHostName(parts[0]) != UriHostNameType.Unknown
            && (parts.Length == 1 || int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65_535);
    }

    private static bool IsPrivateKey(string path)
    {
        try
        {
            using var rsa = System.Security.Cryptography.RSA.Create();
            rsa.ImportFromPem(File.ReadAllText(path));
            return true;
        }
        catch (Exception ex) when (ex is ArgumentException or System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
