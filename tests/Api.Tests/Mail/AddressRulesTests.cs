using EmailApi.Mail;
using EmailApi.Sending;

namespace EmailApi.Tests.Mail;

public sealed class AddressRulesTests
{
    [Theory]
    [InlineData("a@example.com", true)]
    [InlineData("first.last+tag@sub.example.co.uk", true)]
    [InlineData("jörg@münchen.example", true)]
    [InlineData("o'brien@example.ie", true)]
    [InlineData("", false)]
    [InlineData("plain", false)]
    [InlineData("@example.com", false)]
    [InlineData("a@", false)]
    [InlineData("a@localhost", false)]
    [InlineData("a..b@example.com", false)]
    [InlineData(".a@example.com", false)]
    [InlineData("a b@example.com", false)]
    [InlineData("a@exa mple.com", false)]
    [InlineData("a@-bad-.com", false)]
    [InlineData("a\r\n@example.com", false)]
    [InlineData("\"quoted\"@example.com", false)]
    [InlineData("a@[127.0.0.1]", false)]
    [InlineData("a@example.123", false)]
    public void IsValid_Table(string address, bool valid) => Assert.Equal(valid, AddressRules.IsValid(address));

    [Fact]
    public void IsValid_LocalPartOver64_IsInvalid() => Assert.False(AddressRules.IsValid(new string('a', 65) + "@example.com"));
}
