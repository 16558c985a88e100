using System.Net;
using EmailApi.Feedback;
using EmailApi.Queue;
using EmailApi.Tests.Accounts;
using EmailApi.Tests.Delivery;
using EmailApi.Tests.Domains;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace EmailApi.Tests.Feedback;

/// <summary>
/// What the receiving server sees as MAIL FROM: a VERP return path under the verified domain's
/// return-path subdomain, one per recipient, naming the message and the recipient, with From unchanged.
/// </summary>
public sealed class ReturnPathTests : IAsyncDisposable
{
    private readonly DeliveryHarness _h = new(new()
    {
        ["Delivery:PublicAddresses:0"] = "127.0.0.1",
        ["Inbound:HostName"] = "mx.relay.test",
        ["Domains:MinVerifyInterval"] = "00:00:00",
        ["Domains:ReturnPathLabel"] = "rp",
    });

    public ReturnPathTests() => _h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");

    public ValueTask DisposeAsync() => _h.DisposeAsync();

    [Fact]
    public async Task Send_FromVerifiedDomain_EachRecipientGetsItsOwnSignedReturnPath_FromUnchanged()
    {
        var mx = _h.Server("127.0.0.2");
        var shop = await new AdminApi(_h.App).CreateAccountAsync("shop");
        var domain = await DomainsApi.CreateAsync(shop.Client, "shop.test");
        DomainsApi.Publish(_h.Dns, domain);
        Assert.Equal("verified", (await DomainsApi.VerifyAsync(shop.Client, domain.GetProperty("id").GetString()!)).GetProperty("status").GetString());

        var sent = await shop.SendAsync(new { from = "Shop <news@mail.shop.test>", to = new[] { "a@dest.test", "b@dest.test" }, subject = "Hi", text = "x" });
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        var id = (await TestApp.ReadJsonAsync(sent)).GetProperty("id").GetString()!;
        var first = await mx.WaitForMessageAsync(TimeSpan.FromSeconds(30));
        var second = await mx.WaitForMessageAsync(TimeSpan.FromSeconds(30));

        var codec = await _h.App.Services.GetRequiredService<VerpKeys>().CodecAsync(CancellationToken.None);
        var tokens = new List<ReturnPathToken>();
        foreach (var received in new[] { first, second })
        {
            Assert.Single(received.Recipients);
            Assert.Matches(@"^b\+[a-z2-7]{55}@rp\.shop\.test$", received.From);
            var check = Assert.IsType<TokenCheck.Valid>(codec.Decode(VerpCodec.TokenOf(received.From[..received.From.IndexOf('@')], VerpCodec.BouncePrefix)!));
            Assert.Equal(id, check.Token.MessageId.ToString());
            tokens.Add(check.Token);
            Assert.Equal("news@mail.shop.test", MimeMessage.Load(new MemoryStream(received.Data)).From.Mailboxes.Single().Address);
        }
        Assert.Equal(2, tokens.Select(t => t.RecipientId).Distinct().Count());
    }

    [Fact]
    public async Task Send_FromDomainThatIsNotVerified_KeepsTheSubmittedEnvelopeSender()
    {
        var mx = _h.Server("127.0.0.2");

        await _h.SendAsync(new { from = "shop@elsewhere.test", to = new[] { "a@dest.test", "b@dest.test" }, text = "x" });
        var received = await mx.WaitForMessageAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("shop@elsewhere.test", received.From);
        Assert.Equal(2, received.Recipients.Count);
    }

    [Fact]
    public async Task VerpKey_SameForAnotherProcessOnTheSameDatabase()
    {
        var codec = await _h.App.Services.GetRequiredService<VerpKeys>().CodecAsync(CancellationToken.None);
        var token = new ReturnPathToken(MessageId.New(TimeProvider.System), 7);
        var encoded = codec.Encode(token);

        // A second host on the same file (and the Data Protection key ring beside it), as after a restart.
        using var other = new TestApp(new() { ["Storage:Sqlite:Path"] = Path.Combine(_h.App.Directory, "queue.db") });
        var reopened = await other.Services.GetRequiredService<VerpKeys>().CodecAsync(CancellationToken.None);

        Assert.Equal(new TokenCheck.Valid(token), reopened.Decode(encoded));
    }
}
