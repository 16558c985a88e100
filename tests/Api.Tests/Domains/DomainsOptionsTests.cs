using EmailApi.Hosting;
using Microsoft.Extensions.Configuration;

namespace EmailApi.Tests.Domains;

/// <summary>The domain settings are checked at start with the others: a wrong value is one line naming the key.</summary>
public sealed class DomainsOptionsTests
{
    [Theory]
    [InlineData("Delivery:PublicAddresses:0", "relay.example.com", "Delivery:PublicAddresses:0 must be an IP address (was relay.example.com)")]
    [InlineData("Domains:SpfInclude", "not a domain", "Domains:SpfInclude must be a domain name (was not a domain)")]
    [InlineData("Inbound:HostName", "-bad-", "Inbound:HostName must be a domain name (was -bad-)")]
    [InlineData("Domains:RecheckInterval", "00:00:00", "Domains:RecheckInterval must be a positive duration such as 00:00:30 (was 00:00:00)")]
    [InlineData("Domains:ReturnPathLabel", "a.b", "Domains:ReturnPathLabel must be one DNS label of letters, digits and hyphens (was a.b)")]
    [InlineData("Domains:PendingRecheckMax", "00:01:00", "Domains:PendingRecheckMax must be at least Domains:PendingRecheckMin (was 00:01:00)")]
    public void Check_WithInvalidSetting_NamesIt(string key, string value, string line)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();

        Assert.Equal([line], SettingsCheck.Run(configuration));
    }

    [Fact]
    public void Check_WithDefaults_FindsNothing() =>
        Assert.Empty(SettingsCheck.Run(new ConfigurationBuilder().Build()));
}
