using EmailApi.Mail;
using Microsoft.Extensions.Configuration;

namespace EmailApi.Tests.Mail;

public sealed class RelayHostOptionsTests
{
    [Theory]
    [InlineData("relay.example", null, "relay.example")]
    [InlineData(null, "older.example", "older.example")]         // the older key still works
    [InlineData("relay.example", "relay.example", "relay.example")]
    [InlineData("", "older.example", "older.example")]           // an empty value is no value
    public void NameFrom_PrefersRelayHostName_ThenTheOlderKey(string? name, string? older, string expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Relay:HostName"] = name,
            ["Delivery:HeloName"] = older,
        }).Build();

        Assert.Equal(expected, RelayHostOptions.NameFrom(configuration));
    }

    [Fact]
    public void NameFrom_WithNeitherKey_IsTheMachineName()
    {
        Assert.Equal(Environment.MachineName, RelayHostOptions.NameFrom(new ConfigurationBuilder().Build()));
    }
}
