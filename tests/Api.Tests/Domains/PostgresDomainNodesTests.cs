using System.Net;
using System.Net.Http.Json;
using EmailApi.TestKit;
using EmailApi.Tests.Accounts;
using EmailApi.Tests.Storage;
using MimeKit;
using MimeKit.Cryptography;

namespace EmailApi.Tests.Domains;

/// <summary>
/// Two hosts on one PostgreSQL database, as two machines: a domain created (its key sealed) and
/// verified on one node signs mail submitted on the other, because the Data Protection key ring
/// lives in the database.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresDomainNodesTests(PostgresServer server)
{
    [Fact]
    public async Task DomainMadeOnOneNode_SignsMailSubmittedOnAnother()
    {
        using var dns = new DnsTestServer();
        var port = FakeSmtpServer.FreePort();
        await using var mx = new FakeSmtpServer(IPAddress.Parse("127.0.0.2"), port);
        dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        var settings = new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "Postgres",
            ["Storage:Postgres:ConnectionString"] = await server.CreateDatabaseAsync(CancellationToken.None),
            ["Delivery:DnsServers:0"] = dns.Endpoint,
            ["Delivery:Port"] = port.ToString(),
            ["Domains:MinVerifyInterval"] = "00:00:00",
        };
        using var first = new TestApp(new Dictionary<string, string?>(settings) { ["Roles"] = "api" });
        var shop = await new AdminApi(first).CreateAccountAsync("shop");
        var domain = await DomainsApi.CreateAsync(shop.Client, "shop.test");
        DomainsApi.Publish(dns, domain);
        Assert.Equal("verified", (await DomainsApi.VerifyAsync(shop.Client, domain.GetProperty("id").GetString()!)).GetProperty("status").GetString());

        using var second = new TestApp(new Dictionary<string, string?>(settings) { ["Roles"] = "api,sender" });
        var response = await second.Authorized(shop.Key).PostAsJsonAsync("/v1/send", new { from = "news@shop.test", to = "u@dest.test", subject = "node 2", text = "x" });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        var message = MimeMessage.Load(new MemoryStream((await mx.WaitForMessageAsync(TimeSpan.FromSeconds(30))).Data));
        var signature = message.Headers[message.Headers.IndexOf(HeaderId.DkimSignature)];
        Assert.Contains("d=shop.test", signature.Value);
        Assert.True(await new DkimVerifier(new DnsKeyLocator(dns.Endpoint)).VerifyAsync(message, signature));
        // The key ring is in the shared database, not in a folder of one machine (in this one process both
        // nodes would also find a per-user folder, so this is what shows another machine could sign).
        await using var db = new Npgsql.NpgsqlConnection(settings["Storage:Postgres:ConnectionString"]);
        await db.OpenAsync();
        await using var count = new Npgsql.NpgsqlCommand("SELECT COUNT(*) FROM data_protection_keys", db);
        Assert.True((long)(await count.ExecuteScalarAsync())! >= 1);
    }
}
