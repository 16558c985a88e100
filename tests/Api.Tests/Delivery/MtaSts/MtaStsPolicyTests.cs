using EmailApi.Delivery.MtaSts;

namespace EmailApi.Tests.Delivery.MtaSts;

public sealed class MtaStsPolicyTests
{
    [Theory]
    [InlineData("version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 86400\n", "enforce", 86400)]
    [InlineData("version: STSv1\r\nmode: testing\r\nmx: *.example.com\r\nmx: mx2.example.net\r\nmax_age: 604800\r\n", "testing", 604800)]
    [InlineData("version: STSv1\nmode: none\nmax_age: 0\n", "none", 0)]
    [InlineData("version:STSv1\nmode:enforce\nmx:mx.example.com\nmax_age:31557600\nextension: ignored\n", "enforce", 31557600)]
    public void Parse_ValidPolicy_ReadsModeAndMaxAge(string text, string mode, long maxAge)
    {
        var policy = Assert.IsType<MtaStsParse.Valid>(MtaStsPolicy.Parse(text, "id1")).Policy;

        Assert.Equal(mode, policy.Mode.ToString().ToLowerInvariant());
        Assert.Equal(TimeSpan.FromSeconds(maxAge), policy.MaxAge);
        Assert.Equal("id1", policy.Id);
    }

    [Theory]
    [InlineData("version: STSv2\nmode: enforce\nmx: mx.example.com\nmax_age: 86400\n", "version")]
    [InlineData("mode: enforce\nmx: mx.example.com\nmax_age: 86400\n", "version")]
    [InlineData("version: STSv1\nmode: strict\nmx: mx.example.com\nmax_age: 86400\n", "mode")]
    [InlineData("version: STSv1\nmode: enforce\nmx: mx.example.com\n", "max_age")]
    [InlineData("version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 31557601\n", "max_age")]
    [InlineData("version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: -1\n", "max_age")]
    [InlineData("version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 12345678901\n", "max_age")]
    [InlineData("version: STSv1\nmode: enforce\nmax_age: 86400\n", "no mx")]
    [InlineData("version: STSv1\nmode: enforce\nmx: mx.*.example.com\nmax_age: 86400\n", "mx pattern")]
    [InlineData("version: STSv1\nmode: enforce\nmx: *.\nmax_age: 86400\n", "mx pattern")]
    [InlineData("<html>not a policy</html>\n", "key: value")]
    public void Parse_InvalidPolicy_SaysWhy(string text, string reason)
    {
        var invalid = Assert.IsType<MtaStsParse.Invalid>(MtaStsPolicy.Parse(text, "id1"));

        Assert.Contains(reason, invalid.Reason);
    }

    [Theory]
    [InlineData("mx.example.com", "mx.example.com", true)]
    [InlineData("mx.example.com", "MX.Example.COM.", true)]
    [InlineData("mx.example.com", "mx2.example.com", false)]
    [InlineData("*.example.com", "mx.example.com", true)]
    [InlineData("*.example.com", "example.com", false)]
    [InlineData("*.example.com", "a.b.example.com", false)]
    [InlineData("*.example.com", "mx.example.com.evil.test", false)]
    public void Matches_MxPattern_FollowsRfc8461Section41(string pattern, string host, bool matches)
    {
        var policy = Assert.IsType<MtaStsParse.Valid>(MtaStsPolicy.Parse($"version: STSv1\nmode: enforce\nmx: {pattern}\nmax_age: 60\n", "id1")).Policy;

        Assert.Equal(matches, policy.Matches(host));
    }
}
