using System.Net;
using System.Net.Http.Json;
using EmailApi.Tests.Accounts;
using EmailApi.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace EmailApi.Tests.Domains;

/// <summary>The domains API through the real host, with a real DNS server on loopback as the world's DNS.</summary>
public sealed class DomainEndpointsTests : IDisposable
{
    private readonly DnsTestServer _dns = new();
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly TestApp _app;

    public DomainEndpointsTests()
    {
        _app = new TestApp(new()
        {
            ["Delivery:DnsServers:0"] = _dns.Endpoint,
            ["Delivery:PublicAddresses:0"] = "192.0.2.25",
            ["Inbound:HostName"] = "mx.relay.test",
            ["Domains:DnsTimeout"] = "00:00:01",
            ["Domains:MinVerifyInterval"] = "00:00:30",
        }, _clock);
    }

    public void Dispose()
    {
        _app.Dispose();
        _dns.Dispose();
    }

    [Fact]
    public async Task Create_ListsTheRecordsToPublish_AndNeverThePrivateKey()
    {
        var shop = await new AdminApi(_app).CreateAccountAsync("shop");

        var response = await shop.Client.PostAsJsonAsync("/v1/domains", new { name = "Shop.Test", dmarcRua = "mailto:reports@shop.test" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("PRIVATE", text);
        var domain = await TestApp.ReadJsonAsync(response);
        Assert.Equal("shop.test", domain.GetProperty("name").GetString());
        Assert.Equal("pending", domain.GetProperty("status").GetString());
        var key = Assert.Single(domain.GetProperty("keys").EnumerateArray());
        Assert.Equal(("rsa2048", "pending"), (key.GetProperty("algorithm").GetString(), key.GetProperty("state").GetString()));
        var selector = key.GetProperty("selector").GetString();
        var dkim = DomainsApi.Record(domain, "dkim");
        Assert.Equal($"{selector}._domainkey.shop.test", dkim.GetProperty("name").GetString());
        Assert.StartsWith("v=DKIM1; k=rsa; p=MII", dkim.GetProperty("value").GetString());
        Assert.Equal("notChecked", dkim.GetProperty("status").GetString());
        Assert.Equal("v=spf1 ip4:192.0.2.25 ~all", DomainsApi.Record(domain, "spf").GetProperty("value").GetString());
        Assert.Equal(("_dmarc.shop.test", "v=DMARC1; p=none; rua=mailto:reports@shop.test"),
            (DomainsApi.Record(domain, "dmarc").GetProperty("name").GetString(), DomainsApi.Record(domain, "dmarc").GetProperty("value").GetString()));
        Assert.Equal(("bounces.shop.test", "MX", "10 mx.relay.test"), (DomainsApi.Record(domain, "returnPath").GetProperty("name").GetString(),
            DomainsApi.Record(domain, "returnPath").GetProperty("type").GetString(), DomainsApi.Record(domain, "returnPath").GetProperty("value").GetString()));
        var fetched = await shop.Client.GetStringAsync($"/v1/domains/{domain.GetProperty("id").GetString()}");
        Assert.DoesNotContain("PRIVATE", fetched);
    }

    [Fact]
    public async Task Create_InternationalName_StoredAsALabel_ShownInBothForms()
    {
        var shop = await new AdminApi(_app).CreateAccountAsync("shop");

        var domain = await DomainsApi.CreateAsync(shop.Client, "Bücher.test");

        Assert.Equal("xn--bcher-kva.test", domain.GetProperty("name").GetString());
        Assert.Equal("bücher.test", domain.GetProperty("unicodeName").GetString());
        Assert.EndsWith("._domainkey.xn--bcher-kva.test", DomainsApi.Record(domain, "dkim").GetProperty("name").GetString());
        var again = await shop.Client.PostAsJsonAsync("/v1/domains", new { name = "xn--bcher-kva.test" });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Theory]
    [InlineData("")]
    [InlineData("localhost")]
    [InlineData("a..test")]
    [InlineData("-bad.test")]
    [InlineData("192.0.2.1")]
    [InlineData("user@shop.test")]
    [InlineData("[192.0.2.1]")]
    [InlineData("under_score.test")]
    public async Task Create_InvalidName_Is400NamingTheField(string name)
    {
        var response = await _app.Authorized().PostAsJsonAsync("/v1/domains", new { name });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await TestApp.ReadJsonAsync(response)).GetProperty("errors").TryGetProperty("name", out _));
    }

    [Fact]
    public async Task Create_UnknownKeyType_Is400()
    {
        var response = await _app.Authorized().PostAsJsonAsync("/v1/domains", new { name = "shop.test", keyType = "dsa" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await TestApp.ReadJsonAsync(response)).GetProperty("errors").TryGetProperty("keyType", out _));
    }

    [Fact]
    public async Task Create_DomainOfAnotherAccount_Is409WithoutSayingWhose()
    {
        var admin = new AdminApi(_app);
        var a = await admin.CreateAccountAsync("a");
        var b = await admin.CreateAccountAsync("b");
        await DomainsApi.CreateAsync(a.Client, "shop.test");

        var response = await b.Client.PostAsJsonAsync("/v1/domains", new { name = "SHOP.test." });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var problem = await TestApp.ReadJsonAsync(response);
        Assert.Equal("The domain 'shop.test' is registered by another account.", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task OtherAccount_NeverSeesVerifiesRotatesOrDeletes_AdminSeesAll()
    {
        var admin = new AdminApi(_app);
        var a = await admin.CreateAccountAsync("a");
        var b = await admin.CreateAccountAsync("b");
        var id = (await DomainsApi.CreateAsync(a.Client, "shop.test")).GetProperty("id").GetString();

        Assert.Equal(HttpStatusCode.NotFound, (await b.Client.GetAsync($"/v1/domains/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Client.PostAsync($"/v1/domains/{id}/verify", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Client.PostAsync($"/v1/domains/{id}/rotate", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Client.DeleteAsync($"/v1/domains/{id}")).StatusCode);
        Assert.Empty((await TestApp.ReadJsonAsync(await b.Client.GetAsync("/v1/domains"))).EnumerateArray());
        Assert.Single((await TestApp.ReadJsonAsync(await a.Client.GetAsync("/v1/domains"))).EnumerateArray());
        Assert.Single((await TestApp.ReadJsonAsync(await _app.Authorized().GetAsync("/v1/domains"))).EnumerateArray());
        Assert.Equal(HttpStatusCode.OK, (await _app.Authorized().GetAsync($"/v1/domains/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await a.Client.DeleteAsync($"/v1/domains/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await a.Client.GetAsync($"/v1/domains/{id}")).StatusCode);
    }

    [Fact]
    public async Task Verify_NothingPublished_EachRecordMissing_ThenPublished_Verified()
    {
        var shop = await new AdminApi(_app).CreateAccountAsync("shop");
        var domain = await DomainsApi.CreateAsync(shop.Client, "shop.test");
        var id = domain.GetProperty("id").GetString()!;

        var before = await DomainsApi.VerifyAsync(shop.Client, id);

        Assert.Equal("pending", before.GetProperty("status").GetString());
        Assert.All(before.GetProperty("records").EnumerateArray(), r => Assert.Equal("missing", r.GetProperty("status").GetString()));

        DomainsApi.Publish(_dns, domain);
        var verifiedAt = await VerifyAfterIntervalAsync(shop.Client, id);

        Assert.Equal("verified", verifiedAt.GetProperty("status").GetString());
        Assert.All(verifiedAt.GetProperty("records").EnumerateArray(), r => Assert.Equal("ok", r.GetProperty("status").GetString()));
        Assert.Equal("active", verifiedAt.GetProperty("keys")[0].GetProperty("state").GetString());
    }

    [Fact]
    public async Task Verify_WrongValues_AreMismatchWithTheValueFound_AndSpfIsEvaluatedNotMatched()
    {
        var shop = await new AdminApi(_app).CreateAccountAsync("shop");
        var domain = await DomainsApi.CreateAsync(shop.Client, "shop.test");
        var selector = domain.GetProperty("keys")[0].GetProperty("selector").GetString();
        _dns.Txt($"{selector}._domainkey.shop.test", "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwrong")
            // Not the suggested text, but it passes for 192.0.2.25 through an include: evaluated, it is ok.
            .Txt("shop.test", "v=spf1 include:_spf.provider.test -all").Txt("_spf.provider.test", "v=spf1 ip4:192.0.2.0/24 -all")
            .Txt("_dmarc.shop.test", "v=DMARC1; rua=mailto:x@shop.test")
            .Mx("bounces.shop.test", 10, "mx.elsewhere.test");

        var checkedDomain = await DomainsApi.VerifyAsync(shop.Client, domain.GetProperty("id").GetString()!);

        Assert.Equal("pending", checkedDomain.GetProperty("status").GetString());
        var dkim = DomainsApi.Record(checkedDomain, "dkim");
        Assert.Equal(("mismatch", "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwrong"),
            (dkim.GetProperty("status").GetString(), dkim.GetProperty("found").GetString()));
        Assert.Equal("ok", DomainsApi.Record(checkedDomain, "spf").GetProperty("status").GetString());
        Assert.Equal("mismatch", DomainsApi.Record(checkedDomain, "dmarc").GetProperty("status").GetString());
        Assert.Equal("MX 10 mx.elsewhere.test", DomainsApi.Record(checkedDomain, "returnPath").GetProperty("found").GetString());
    }

    [Fact]
    public async Task Verify_SpfWithoutTheRelay_IsMismatchSayingWhy()
    {
        var shop = await new AdminApi(_app).CreateAccountAsync("shop");
        var domain = await DomainsApi.CreateAsync(shop.Client, "shop.test");
        _dns.Txt("shop.test", "v=spf1 ip4:198.51.100.1 -all");

        var checkedDomain = await DomainsApi.VerifyAsync(shop.Client, domain.GetProperty("id").GetString()!);

        var spf = DomainsApi.Record(checkedDomain, "spf");
        Assert.Equal("mismatch", spf.GetProperty("status").GetString());
        Assert.Contains("SPF for 192.0.2.25: fail", spf.GetProperty("found").GetString());
    }

    [Fact]
    public async Task Verify_DnsTimesOut_StatusStays_AndLastErrorSaysWhy()
    {
        var shop = await new AdminApi(_app).CreateAccountAsync("shop");
        var domain = await DomainsApi.CreateAsync(shop.Client, "shop.test");
        var id = domain.GetProperty("id").GetString()!;
        DomainsApi.Publish(_dns, domain);
        Assert.Equal("verified", (await DomainsApi.VerifyAsync(shop.Client, id)).GetProperty("status").GetString());
        var dkimName = DomainsApi.Record(domain, "dkim").GetProperty("name").GetString()!;
        _dns.Clear(dkimName);
        _dns.Silent(dkimName);

        var during = await VerifyAfterIntervalAsync(shop.Client, id);

        Assert.Equal("verified", during.GetProperty("status").GetString());
        Assert.Equal("ok", DomainsApi.Record(during, "dkim").GetProperty("status").GetString());
        Assert.Contains($"TXT {dkimName}", during.GetProperty("lastError").GetString());
        Assert.Contains("status is unchanged", during.GetProperty("lastError").GetString());
    }

    [Fact]
    public async Task Verify_Storm_OneCheckThen429WithRetryAfter()
    {
        var shop = await new AdminApi(_app).CreateAccountAsync("shop");
        var id = (await DomainsApi.CreateAsync(shop.Client, "shop.test")).GetProperty("id").GetString();
        var queriesBefore = _dns.QueryCount;

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => shop.Client.PostAsync($"/v1/domains/{id}/verify", null)));

        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.OK);
        var limited = answers.Where(a => a.StatusCode != HttpStatusCode.OK).ToArray();
        Assert.Equal(19, limited.Length);
        Assert.All(limited, a => Assert.Equal(HttpStatusCode.TooManyRequests, a.StatusCode));
        Assert.All(limited, a => Assert.InRange(a.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 30));
        Assert.Equal("application/problem+json", limited[0].Content.Headers.ContentType!.MediaType);
        Assert.InRange(_dns.QueryCount - queriesBefore, 1, 10);   // one check's questions, not twenty
    }

    [Fact]
    public async Task Create_Ed25519_ComesWithAnRsaKey()
    {
        var shop = await new AdminApi(_app).CreateAccountAsync("shop");

        var domain = await DomainsApi.CreateAsync(shop.Client, "shop.test", "ed25519");

        Assert.Equal(["rsa2048", "ed25519"], domain.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("algorithm").GetString()));
        Assert.StartsWith("v=DKIM1; k=ed25519; p=", domain.GetProperty("records").EnumerateArray()
            .Select(r => r.GetProperty("value").GetString()).Single(v => v!.Contains("ed25519")));
    }

    /// <summary>Verify is limited per domain: a test that checks twice moves the clock past the interval first.</summary>
    private async Task<System.Text.Json.JsonElement> VerifyAfterIntervalAsync(HttpClient client, string id)
    {
        _clock.Advance(TimeSpan.FromSeconds(31));
        return await DomainsApi.VerifyAsync(client, id);
    }
}
