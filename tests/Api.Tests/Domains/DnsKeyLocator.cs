using DnsClient;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;

namespace EmailApi.Tests.Domains;

/// <summary>Fetches DKIM keys from the test DNS server, independently of the product's resolver.</summary>
internal sealed class DnsKeyLocator(string server) : DkimPublicKeyLocatorBase
{
    private readonly LookupClient _dns = new(new LookupClientOptions(new NameServer(System.Net.IPEndPoint.Parse(server))) { UseCache = false });

    public override AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
        LocatePublicKeyAsync(methods, domain, selector, cancellationToken).GetAwaiter().GetResult();

    public override async Task<AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken cancellationToken = default)
    {
        var response = await _dns.QueryAsync($"{selector}._domainkey.{domain}", QueryType.TXT, cancellationToken: cancellationToken);
        var txt = string.Concat(response.Answers.TxtRecords().SelectMany(r => r.Text));
        return GetPublicKey(txt);
    }
}
