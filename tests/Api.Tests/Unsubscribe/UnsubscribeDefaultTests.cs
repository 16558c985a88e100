using System.Net;
using System.Net.Http.Json;
using EmailApi.Tests.Accounts;
using EmailApi.Tests.Delivery;
using MimeKit;

namespace EmailApi.Tests.Unsubscribe;

/// <summary>
/// The account default for unsubscribe (issue 16 point 3): messages tagged with one of the account's
/// unsubscribeTags (new accounts: "broadcast") carry one-click unsubscribe at the receiving server,
/// unless the request opts out with "unsubscribe": false.
/// </summary>
public sealed class UnsubscribeDefaultTests : IAsyncDisposable
{
    private readonly DeliveryHarness _h = new(new()
    {
        ["Http:PublicBaseUrl"] = "https://mail.relay.test/",
        ["Delivery:PublicAddresses:0"] = "127.0.0.1",
        ["Domains:RequireVerified"] = "false",   // about the unsubscribe default, not the domain rule
    });

    public UnsubscribeDefaultTests() => _h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");

    public ValueTask DisposeAsync() => _h.DisposeAsync();

    [Fact]
    public async Task NewAccount_BroadcastTagged_GetsHeaders_UntaggedAndExplicitFalse_None_BatchToo()
    {
        var mx = _h.Server("127.0.0.2");
        var shop = await new AdminApi(_h.App).CreateAccountAsync("shop");

        Assert.Equal(HttpStatusCode.Accepted, (await shop.SendAsync(new { from = "news@shop.test", to = "a@dest.test", subject = "tagged", text = "x", tags = new[] { "weekly", "broadcast" } })).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await shop.SendAsync(new { from = "news@shop.test", to = "b@dest.test", subject = "untagged", text = "x", tags = new[] { "receipt" } })).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await shop.SendAsync(new { from = "news@shop.test", to = "c@dest.test", subject = "opted out", text = "x", tags = new[] { "broadcast" }, unsubscribe = false })).StatusCode);
        var batch = await shop.Client.PostAsJsonAsync("/v1/send/batch", new
        {
            messages = new object[] { new { from = "news@shop.test", to = "d@dest.test", subject = "batch tagged", text = "x", tags = new[] { "broadcast" } } },
        });
        Assert.Equal("accepted", (await TestApp.ReadJsonAsync(batch)).GetProperty("results")[0].GetProperty("status").GetString());
        for (var i = 0; i < 4; i++) await mx.WaitForMessageAsync(TimeSpan.FromSeconds(30));

        var received = mx.Messages.Select(m => MimeMessage.Load(new MemoryStream(m.Data))).ToDictionary(m => m.Subject ?? "");
        Assert.StartsWith("<https://mail.relay.test/u/", received["tagged"].Headers["List-Unsubscribe"]);
        Assert.Equal("List-Unsubscribe=One-Click", received["tagged"].Headers["List-Unsubscribe-Post"]);
        Assert.StartsWith("<https://mail.relay.test/u/", received["batch tagged"].Headers["List-Unsubscribe"]);
        Assert.Null(received["untagged"].Headers["List-Unsubscribe"]);
        Assert.Null(received["opted out"].Headers["List-Unsubscribe"]);
        Assert.Null(received["opted out"].Headers["List-Unsubscribe-Post"]);
    }

    [Fact]
    public async Task DefaultApplies_ToSeveralRecipients_400NamingTheRule_InSendAndBatch_FalseSends()
    {
        var shop = await new AdminApi(_h.App).CreateAccountAsync("shop");
        var many = new { from = "news@shop.test", to = new[] { "a@dest.test", "b@dest.test" }, subject = "s", text = "x", tags = new[] { "broadcast" } };

        var single = await shop.SendAsync(many);
        var batch = await TestApp.ReadJsonAsync(await shop.Client.PostAsJsonAsync("/v1/send/batch", new { messages = new object[] { many } }));
        var optedOut = await shop.SendAsync(new { from = "news@shop.test", to = new[] { "a@dest.test", "b@dest.test" }, subject = "s", text = "x", tags = new[] { "broadcast" }, unsubscribe = false });

        Assert.Equal(HttpStatusCode.BadRequest, single.StatusCode);
        var message = (await TestApp.ReadJsonAsync(single)).GetProperty("errors").GetProperty("unsubscribe")[0].GetString();
        Assert.Contains("'broadcast'", message);
        Assert.Contains("unsubscribeTags", message);
        Assert.Contains("one recipient per message; got 2", message);
        var item = batch.GetProperty("results")[0];
        Assert.Equal("rejected", item.GetProperty("status").GetString());
        Assert.Contains("unsubscribeTags", item.GetProperty("problem").GetProperty("errors").GetProperty("unsubscribe")[0].GetString());
        Assert.Equal(HttpStatusCode.Accepted, optedOut.StatusCode);
    }

    [Fact]
    public async Task AccountWithoutTheDefault_BroadcastTagged_NoHeaders_ChangedByPatch()
    {
        var mx = _h.Server("127.0.0.2");
        var admin = new AdminApi(_h.App);
        var shop = await admin.CreateAccountAsync("shop", new { unsubscribeTags = Array.Empty<string>() });

        Assert.Equal(HttpStatusCode.Accepted, (await shop.SendAsync(new { from = "news@shop.test", to = "a@dest.test", subject = "none", text = "x", tags = new[] { "broadcast" } })).StatusCode);
        var first = MimeMessage.Load(new MemoryStream((await mx.WaitForMessageAsync(TimeSpan.FromSeconds(30))).Data));
        Assert.Equal(HttpStatusCode.OK, (await admin.PatchAsync(shop.Id, new { unsubscribeTags = new[] { "newsletter" } })).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await shop.SendAsync(new { from = "news@shop.test", to = "b@dest.test", subject = "newsletter", text = "x", tags = new[] { "newsletter" } })).StatusCode);
        var second = MimeMessage.Load(new MemoryStream((await mx.WaitForMessageAsync(TimeSpan.FromSeconds(30))).Data));

        Assert.Null(first.Headers["List-Unsubscribe"]);
        Assert.Equal("newsletter", second.Subject);
        Assert.StartsWith("<https://mail.relay.test/u/", second.Headers["List-Unsubscribe"]);
    }
}
