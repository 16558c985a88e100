using System.Net;
using System.Net.Http.Json;
using System.Text;
using EmailApi.SmtpBridge;
using EmailApi.Tests.Accounts;
using EmailApi.Tests.Delivery;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using MimeKit.Cryptography;

namespace EmailApi.Tests.Domains;

/// <summary>
/// Mail from a verified domain leaves signed with its active key (d= the domain, so DMARC aligns);
/// the signature is checked with MimeKit's verifier reading the key from the test DNS server.
/// </summary>
public sealed class DomainSigningTests : IAsyncDisposable
{
    private readonly DeliveryHarness _h = new(new()
    {
        ["Roles"] = "api,smtp,sender",
        ["Delivery:PublicAddresses:0"] = "127.0.0.1",
        ["Inbound:HostName"] = "mx.relay.test",
        ["Domains:MinVerifyInterval"] = "00:00:00",
    });

    public DomainSigningTests() => _h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");

    public ValueTask DisposeAsync() => _h.DisposeAsync();

    [Fact]
    public async Task Send_FromVerifiedDomainAndItsSubdomain_SignedWithItsKey_VerifiesInDns_TamperedDoesNot()
    {
        var mx = _h.Server("127.0.0.2");
        var shop = await new AdminApi(_h.App).CreateAccountAsync("shop");
        var domain = await DomainsApi.CreateAsync(shop.Client, "shop.test");
        DomainsApi.Publish(_h.Dns, domain);
        Assert.Equal("verified", (await DomainsApi.VerifyAsync(shop.Client, domain.GetProperty("id").GetString()!)).GetProperty("status").GetString());
        var selector = domain.GetProperty("keys")[0].GetProperty("selector").GetString();

        Assert.Equal(HttpStatusCode.Accepted, (await shop.SendAsync(new { from = "Shop <news@mail.shop.test>", to = "u@dest.test", subject = "Signed", text = "Grüße" })).StatusCode);
        var received = await mx.WaitForMessageAsync(TimeSpan.FromSeconds(30));

        var message = MimeMessage.Load(new MemoryStream(received.Data));
        var signature = message.Headers[message.Headers.IndexOf(HeaderId.DkimSignature)];
        Assert.Contains("d=shop.test", signature.Value);
        Assert.Contains($"s={selector}", signature.Value);
        var verifier = new DkimVerifier(new DnsKeyLocator(_h.Dns.Endpoint));
        Assert.True(await verifier.VerifyAsync(message, signature));
        var tampered = MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(received.Text.Replace("Subject: Signed", "Subject: Changed"))));
        Assert.False(await verifier.VerifyAsync(tampered, tampered.Headers[tampered.Headers.IndexOf(HeaderId.DkimSignature)]));
    }

    [Fact]
    public async Task Send_Ed25519Domain_CarriesTwoSignatures_BothVerify()
    {
        var mx = _h.Server("127.0.0.2");
        var shop = await new AdminApi(_h.App).CreateAccountAsync("shop");
        var domain = await DomainsApi.CreateAsync(shop.Client, "shop.test", "ed25519");
        DomainsApi.Publish(_h.Dns, domain);
        await DomainsApi.VerifyAsync(shop.Client, domain.GetProperty("id").GetString()!);

        await shop.SendAsync(new { from = "news@shop.test", to = "u@dest.test", subject = "Two", text = "x" });
        var message = MimeMessage.Load(new MemoryStream((await mx.WaitForMessageAsync(TimeSpan.FromSeconds(30))).Data));

        var signatures = message.Headers.Where(h => h.Id == HeaderId.DkimSignature).ToArray();
        Assert.Equal(2, signatures.Length);
        Assert.Contains(signatures, s => s.Value.Contains("a=ed25519-sha256"));
        Assert.Contains(signatures, s => s.Value.Contains("a=rsa-sha256"));
        var verifier = new DkimVerifier(new DnsKeyLocator(_h.Dns.Endpoint));
        foreach (var signature in signatures) Assert.True(await verifier.VerifyAsync(message, signature), signature.Value);
    }

    [Fact]
    public async Task Send_FromUnverifiedDomain_Http403NamingTheDomain_Smtp550()
    {
        var shop = await new AdminApi(_h.App).CreateAccountAsync("shop");
        var pending = await DomainsApi.CreateAsync(shop.Client, "shop.test");

        var other = await shop.SendAsync(new { from = "a@elsewhere.test", to = "u@dest.test", subject = "x", text = "x" });
        var notYet = await shop.SendAsync(new { from = "a@shop.test", to = "u@dest.test", subject = "x", text = "x" });

        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        var problem = await TestApp.ReadJsonAsync(other);
        Assert.Equal("Sender domain not verified", problem.GetProperty("title").GetString());
        Assert.Contains("'elsewhere.test'", problem.GetProperty("detail").GetString());
        Assert.Contains("POST /v1/domains", problem.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, notYet.StatusCode);
        Assert.Contains($"TXT {pending.GetProperty("keys")[0].GetProperty("selector").GetString()}._domainkey.shop.test",
            (await TestApp.ReadJsonAsync(notYet)).GetProperty("detail").GetString());

        using var client = await ConnectSmtpAsync();
        await client.AuthenticateAsync("apikey", shop.Key);
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("a@elsewhere.test"));
        message.To.Add(MailboxAddress.Parse("u@dest.test"));
        message.Subject = "x";
        message.Body = new TextPart("plain") { Text = "x" };
        var refused = await Assert.ThrowsAsync<SmtpCommandException>(() => client.SendAsync(message));
        Assert.Equal(550, (int)refused.StatusCode);
        Assert.StartsWith("5.7.1 ", refused.Message);
        Assert.Contains("elsewhere.test", refused.Message);
    }

    [Fact]
    public async Task Send_BootstrapAccount_IsNotHeldToVerifiedDomains()
    {
        _h.Server("127.0.0.2");

        var response = await _h.Client.PostAsJsonAsync("/v1/send", new { from = "ops@anything.test", to = "u@dest.test", subject = "x", text = "x" });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task Send_FromAnotherAccountsVerifiedDomain_IsRefused()
    {
        var admin = new AdminApi(_h.App);
        var a = await admin.CreateAccountAsync("a");
        var b = await admin.CreateAccountAsync("b");
        var domain = await DomainsApi.CreateAsync(a.Client, "shop.test");
        DomainsApi.Publish(_h.Dns, domain);
        await DomainsApi.VerifyAsync(a.Client, domain.GetProperty("id").GetString()!);

        var response = await b.SendAsync(new { from = "spoof@shop.test", to = "u@dest.test", subject = "x", text = "x" });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Rotate_NewKeySignsOnlyOnceVerified_OldKeyRetiresWithADate_MailFromBothVerifies()
    {
        var mx = _h.Server("127.0.0.2");
        var shop = await new AdminApi(_h.App).CreateAccountAsync("shop");
        var domain = await DomainsApi.CreateAsync(shop.Client, "shop.test");
        var id = domain.GetProperty("id").GetString()!;
        DomainsApi.Publish(_h.Dns, domain);
        await DomainsApi.VerifyAsync(shop.Client, id);
        var oldSelector = domain.GetProperty("keys")[0].GetProperty("selector").GetString()!;

        var rotated = await TestApp.ReadJsonAsync(await shop.Client.PostAsync($"/v1/domains/{id}/rotate", null));
        var newKey = rotated.GetProperty("keys").EnumerateArray().Single(k => k.GetProperty("selector").GetString() != oldSelector);
        var newSelector = newKey.GetProperty("selector").GetString()!;
        Assert.Equal("pending", newKey.GetProperty("state").GetString());
        Assert.Equal(HttpStatusCode.Conflict, (await shop.Client.PostAsync($"/v1/domains/{id}/rotate", null)).StatusCode);

        await shop.SendAsync(new { from = "a@shop.test", to = "u@dest.test", subject = "before", text = "x" });
        var before = MimeMessage.Load(new MemoryStream((await mx.WaitForMessageAsync(TimeSpan.FromSeconds(30))).Data));
        Assert.Contains($"s={oldSelector}", before.Headers[HeaderId.DkimSignature]);

        DomainsApi.Publish(_h.Dns, rotated);   // adds the new selector's record; the old one stays published
        var switched = await DomainsApi.VerifyAsync(shop.Client, id);
        var keys = switched.GetProperty("keys").EnumerateArray().ToDictionary(k => k.GetProperty("selector").GetString()!);
        Assert.Equal("active", keys[newSelector].GetProperty("state").GetString());
        Assert.Equal("retiring", keys[oldSelector].GetProperty("state").GetString());
        Assert.True(keys[oldSelector].GetProperty("retireAfter").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddDays(6));
        Assert.Contains(switched.GetProperty("records").EnumerateArray(), r => r.GetProperty("selector").GetString() == oldSelector);

        await shop.SendAsync(new { from = "a@shop.test", to = "u@dest.test", subject = "after", text = "x" });
        var after = MimeMessage.Load(new MemoryStream((await mx.WaitForMessageAsync(TimeSpan.FromSeconds(30))).Data));
        Assert.Contains($"s={newSelector}", after.Headers[HeaderId.DkimSignature]);
        var verifier = new DkimVerifier(new DnsKeyLocator(_h.Dns.Endpoint));
        Assert.True(await verifier.VerifyAsync(before, before.Headers[before.Headers.IndexOf(HeaderId.DkimSignature)]));
        Assert.True(await verifier.VerifyAsync(after, after.Headers[after.Headers.IndexOf(HeaderId.DkimSignature)]));
    }

    [Fact]
    public async Task Recheck_VerifiedRecordDisappears_DomainFailedWithEvent()
    {
        var shop = await new AdminApi(_h.App).CreateAccountAsync("shop");
        var domain = await DomainsApi.CreateAsync(shop.Client, "shop.test");
        var id = domain.GetProperty("id").GetString()!;
        DomainsApi.Publish(_h.Dns, domain);
        await DomainsApi.VerifyAsync(shop.Client, id);
        _h.Dns.Clear(DomainsApi.Record(domain, "dkim").GetProperty("name").GetString()!);

        var failed = await DomainsApi.VerifyAsync(shop.Client, id);

        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.Equal("missing", DomainsApi.Record(failed, "dkim").GetProperty("status").GetString());
        var store = _h.App.Services.GetRequiredService<EmailApi.Domains.IDomainStore>();
        Assert.Equal(["domain.verified", "domain.failed"], (await store.EventsAsync(shop.Id, null, 0, 10, CancellationToken.None)).Select(e => e.Type));
        Assert.Equal(HttpStatusCode.Forbidden, (await shop.SendAsync(new { from = "a@shop.test", to = "u@dest.test", subject = "x", text = "x" })).StatusCode);
        var shown = await TestApp.ReadJsonAsync(await shop.Client.GetAsync($"/v1/domains/{id}"));
        Assert.Equal(["domain.verified", "domain.failed"], shown.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("type").GetString()));
    }

    [Fact]
    public async Task Send_WithoutTheRule_FromAnotherAccountsDomain_IsNeverSignedWithItsKey()
    {
        await using var h = new DeliveryHarness(new() { ["Domains:RequireVerified"] = "false", ["Domains:MinVerifyInterval"] = "00:00:00" });
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        var mx = h.Server("127.0.0.2");
        var admin = new AdminApi(h.App);
        var a = await admin.CreateAccountAsync("a");
        var b = await admin.CreateAccountAsync("b");
        var domain = await DomainsApi.CreateAsync(a.Client, "shop.test");
        DomainsApi.Publish(h.Dns, domain);
        await DomainsApi.VerifyAsync(a.Client, domain.GetProperty("id").GetString()!);

        Assert.Equal(HttpStatusCode.Accepted, (await b.SendAsync(new { from = "spoof@shop.test", to = "u@dest.test", subject = "b", text = "x" })).StatusCode);
        Assert.DoesNotContain("DKIM-Signature", (await mx.WaitForMessageAsync(TimeSpan.FromSeconds(30))).Text);
        Assert.Equal(HttpStatusCode.Accepted, (await a.SendAsync(new { from = "news@shop.test", to = "u@dest.test", subject = "a", text = "x" })).StatusCode);
        Assert.Contains("d=shop.test", (await mx.WaitForMessageAsync(TimeSpan.FromSeconds(30))).Text);
    }

    private async Task<SmtpClient> ConnectSmtpAsync()
    {
        var endPoint = _h.App.Services.GetRequiredService<SmtpBridgeHost>().SubmissionEndPoint!;
        var client = new SmtpClient { CheckCertificateRevocation = false, Timeout = 15_000 };
        client.ServerCertificateValidationCallback = (_, _, _, _) => true;
        await client.ConnectAsync(endPoint.Address.ToString(), endPoint.Port, SecureSocketOptions.StartTls);
        return client;
    }
}
