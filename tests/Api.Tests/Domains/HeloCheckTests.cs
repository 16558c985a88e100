using EmailApi.Domains;

namespace EmailApi.Tests.Domains;

/// <summary>What counts as a fully qualified EHLO name (RFC 5321 §4.1.1.1); the start-up warning uses the same test.</summary>
public sealed class HeloCheckTests
{
    [Theory]
    [InlineData("relay.example.com", true)]
    [InlineData("relay.example.com.", true)]
    [InlineData("mailhost", false)]
    [InlineData("localhost", false)]
    [InlineData("box.localdomain", false)]
    [InlineData("192.0.2.1", false)]
    [InlineData("bad_name.example.com", false)]
    public void IsFullyQualified_Table(string name, bool expected) => Assert.Equal(expected, HeloCheck.IsFullyQualified(name));
}
