using EmailApi.Tests.Domains;
using System.Security.Cryptography;
using DnsClient;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;

namespace EmailApi.Tests.Delivery;

public sealed class DkimTests
{
    [Fact]
    public async Task Deliver_FromDomainWithKey_ArrivesWithAValidSignatureFoundInDns()
    {
        using var rsa = RSA.Create(2048);
        var keyPath = Path.Combine(Path.GetTempPath(), $"dkim-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(keyPath, rsa.ExportRSAPrivateKeyPem());
        try
        {
            await using var h = new DeliveryHarness(new()
            {
                ["Dkim:Domains:origin.test:Selector"] = "s2026",
                ["Dkim:Domains:origin.test:PrivateKeyPath"] = keyPath,
            });
            h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2")
                .Txt("s2026._domainkey.origin.test", $"v=DKIM1; k=rsa; p={Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo())}");
            var mx = h.Server("127.0.0.2");

            await h.SendAsync(new { from = "Shop <shop@origin.test>", to = "u@dest.test", subject = "Signed", text = "Grüße", html = "<p>hi</p>" });
            var received = await mx.WaitForMessageAsync(TimeSpan.FromSeconds(20));

            var message = MimeMessage.Load(new MemoryStream(received.Data));
            var signature = message.Headers[message.Headers.IndexOf(HeaderId.DkimSignature)];
            Assert.Contains("d=origin.test", signature.Value);
            Assert.Contains("s=s2026", signature.Value);
            Assert.Contains("c=relaxed/relaxed", signature.Value);
            var verifier = new DkimVerifier(new DnsKeyLocator(h.Dns.Endpoint));
            Assert.True(await verifier.VerifyAsync(message, signature));

            // A changed body no longer verifies: the check can fail.
            var tampered = MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(received.Text.Replace("Signed", "Changed"))));
            Assert.False(await verifier.VerifyAsync(tampered, tampered.Headers[tampered.Headers.IndexOf(HeaderId.DkimSignature)]));
        }
        finally
        {
            File.Delete(keyPath);
        }
    }

    [Fact]
    public async Task Deliver_FromDomainWithoutKey_IsNotSigned()
    {
        await using var h = new DeliveryHarness();
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        var mx = h.Server("127.0.0.2");

        await h.SendAsync(new { from = "shop@elsewhere.test", to = "u@dest.test", text = "x" });
        var received = await mx.WaitForMessageAsync(TimeSpan.FromSeconds(20));

        Assert.DoesNotContain("DKIM-Signature", received.Text);
    }
}
