using System.Net;
using EmailApi.Queue;
using EmailApi.Sending;
using EmailApi.Tests.Accounts;

namespace EmailApi.Tests.Sending;

public sealed class SenderDomainTests : IDisposable
{
    private readonly TestApp _app = new();
    private readonly AdminApi _admin;

    public SenderDomainTests() => _admin = new AdminApi(_app);

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task Send_FromOutsideAllowedDomains_Returns403Problem()
    {
        var account = await _admin.CreateAccountAsync("shop", new { senderDomains = new[] { "shop.example" } });

        var refused = await account.SendAsync(TestAccount.Message(from: "Shop <news@other.example>"));
        var accepted = await account.SendAsync(TestAccount.Message(from: "Shop <news@SHOP.example>"));

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var problem = await TestApp.ReadJsonAsync(refused);
        Assert.Equal("Sender domain not allowed", problem.GetProperty("title").GetString());
        Assert.Contains("news@other.example", problem.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
    }

    [Theory]
    [InlineData("a@shop.example", "A <a@shop.example>", null)]
    [InlineData("a@evil.example", "A <a@shop.example>", "a@evil.example")]
    [InlineData("a@shop.example", "A <a@evil.example>", "a@evil.example")]
    [InlineData("", "a@shop.example", null)]
    [InlineData("a@shop.example", "a@shop.example, b@evil.example", "b@evil.example")]
    [InlineData("a@sub.shop.example", null, "a@sub.shop.example")]
    public void SenderOutsideDomains_ChecksEnvelopeAndEveryFromMailbox(string envelope, string? headerFrom, string? refused)
    {
        var submission = new Submission(new MessageId(Guid.NewGuid()), "acct", MessageSource.Smtp, envelope, ["r@example.org"], [], headerFrom, null, [], null);

        Assert.Equal(refused, SubmissionService.SenderOutsideDomains(submission, ["shop.example"]));
        Assert.Null(SubmissionService.SenderOutsideDomains(submission, []));
    }
}
