// Independent check of a received message with mailauth (DKIM, SPF, DMARC with alignment), reading
// DNS only from the test's own name server. Prints one JSON object:
//   {"dkim":[{"domain","selector","result"}...],"spf":"pass|fail|...","dmarc":"pass|fail|...","dmarcAligned":{...}}
// usage: node verify.js MESSAGE.eml DNS_PORT CLIENT_IP HELO MAIL_FROM
'use strict';
const fs = require('fs');
const dns = require('dns');
const { authenticate } = require('mailauth');

async function main() {
    const [file, port, ip, helo, sender] = process.argv.slice(2);
    const resolver = new dns.promises.Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([`127.0.0.1:${port}`]);
    const resolve = async (name, rrtype) => resolver.resolve(name, rrtype);
    const result = await authenticate(fs.readFileSync(file), { ip, helo, sender, mta: 'sink.test', resolver: resolve });
    const out = {
        dkim: (result.dkim?.results || []).map(r => ({
            domain: r.signingDomain, selector: r.selector, algorithm: r.algo, result: r.status?.result, comment: r.status?.comment,
        })),
        spf: result.spf?.status?.result,
        spfDomain: result.spf?.domain,
        dmarc: result.dmarc?.status?.result,
        dmarcAlignment: result.dmarc?.alignment,
    };
    process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch(err => { process.stderr.write(String(err.stack || err) + '\n'); process.exit(2); });
