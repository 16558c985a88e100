using Microsoft.Extensions.Options;

namespace EmailApi.Tests.Domains;

/// <summary>The new settings are checked at start: a wrong value stops the host with a message naming the key.</summary>
public sealed class DomainsOptionsTests
{
    [Theory]
    [InlineData("Delivery:PublicAddresses:0", "relay.example.com", "Delivery:PublicAddresses")]
    [InlineData("Domains:SpfInclude", "not a domain", "Domains:SpfInclude")]
    [InlineData("Inbound:HostName", "-bad-", "Inbound:HostName")]
    [InlineData("Domains:RecheckInterval", "00:00:00", "RecheckInterval")]
    [InlineData("Domains:ReturnPathLabel", "a.b", "Domains:ReturnPathLabel")]
    public void Start_WithInvalidSetting_FailsNamingIt(string key, string value, string named)
    {
        using var app = new TestApp(new() { [key] = value });

        var error = Assert.ThrowsAny<OptionsValidationException>(() => app.CreateClient());

        Assert.Contains(named, error.Message);
    }
}
