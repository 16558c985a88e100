using DnsClient;
using EmailApi.Accounts;
using EmailApi.Delivery;
using EmailApi.Delivery.MtaSts;
using EmailApi.Queue;
using EmailApi.Sending;
using Microsoft.Extensions.Options;
using MimeKit;

namespace EmailApi.TlsReports;

/// <summary>
/// Sends the aggregate TLS reports of RFC 8460: once a <c>Period</c>, for each policy domain this node
/// delivered to, the session counts since the last report go to the <c>rua</c> addresses of the domain's
/// <c>_smtp._tls</c> TXT record (§3). <c>mailto:</c> reports are queued through the submission service
/// as ordinary mail from <c>TlsReports:From</c> (§5.3); <c>https:</c> ones are POSTed (§5.2) through the
/// MTA-STS client's address rule; a failed POST is logged and not retried.
/// A domain without a TLSRPT record gets no report. Counts are per node, so each sender node reports
/// its own sessions under its own report-id; a node stopping loses the counts of its unfinished period.
/// </summary>
public sealed class TlsReportWorker(
    TlsResults results,
    MtaStsPolicies policies,
    SubmissionService submissions,
    AccountDirectory accounts,
    IOptions<TlsReportOptions> options,
    IOptions<DeliveryOptions> delivery,
    TimeProvider clock,
    ILogger<TlsReportWorker> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Enabled) return;
        var servers = delivery.Value.DnsServers.Select(MxResolver.ParseServer).ToArray();
        var dns = new LookupClient(new LookupClientOptions(servers.Length > 0 ? servers : [.. new LookupClient().NameServers])
        {
            UseCache = false, Timeout = delivery.Value.DnsTimeout, Retries = 1, ThrowDnsErrors = false, UseTcpFallback = true,
        });
        var begin = clock.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(settings.Period, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var end = clock.GetUtcNow();
            var (counts, policies) = results.TakePeriod();
            foreach (var domain in counts.Keys.Select(k => k.Domain).Distinct())
            {
                try
                {
                    await ReportAsync(dns, domain, policies.GetValueOrDefault(domain), counts, begin, end, settings, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    log.LogWarning(ex, "The TLS report for {Domain} could not be sent", domain);
                }
            }
            begin = end;
        }
    }

    private async Task ReportAsync(LookupClient dns, string domain, MtaStsPolicy? policy, IReadOnlyDictionary<TlsResultKey, long> counts,
        DateTimeOffset begin, DateTimeOffset end, TlsReportOptions settings, CancellationToken ct)
    {
        var rua = await RuaAsync(dns, domain, ct);
        if (rua.Count == 0) return;
        var submitter = MailboxAddress.Parse(settings.From).Domain;
        var report = TlsReport.Build(domain, policy, counts, begin, end, $"{end.UtcDateTime:yyyyMMddHHmmss}.{Guid.NewGuid():N}@{submitter}", settings);
        foreach (var uri in rua)
        {
            if (uri.StartsWith("https:", StringComparison.OrdinalIgnoreCase) && Uri.TryCreate(uri, UriKind.Absolute, out var url))
            {
                if (await policies.PostReportAsync(url, report.Gzipped(), ct))
                    log.LogInformation("TLS report {ReportId} for {Domain} posted to {Url}", report.ReportId, domain, url);
                continue;
            }
            if (!uri.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase))
            {
                log.LogInformation("TLS report for {Domain}: rua {Uri} is neither mailto: nor https:", domain, uri);
                continue;
            }
            var to = Uri.UnescapeDataString(uri["mailto:".Length..].Split('?')[0]);
            await MailAsync(report, to, submitter, settings, ct);
        }
    }

    private async Task MailAsync(TlsReport report, string to, string submitter, TlsReportOptions settings, CancellationToken ct)
    {
        var account = await accounts.FindByNameAsync(settings.Account, ct)
                      ?? throw new InvalidOperationException($"TlsReports:Account '{settings.Account}' does not exist");
        var id = MessageId.New(clock);
        using var message = new MimeMessage();   // disposed: MimeKit's entities have finalizers
        var from = MailboxAddress.Parse(settings.From);
        message.From.Add(from);
        message.To.Add(MailboxAddress.Parse(to));
        // RFC 8460 §5.3: the subject and the two TLS-Report headers.
        message.Subject = $"Report Domain: {report.PolicyDomain} Submitter: {submitter} Report-ID: <{report.ReportId}>";
        message.Headers.Add("TLS-Report-Domain", report.PolicyDomain);
        message.Headers.Add("TLS-Report-Submitter", submitter);
        message.Date = clock.GetUtcNow();
        message.MessageId = $"{id}@{submitter}";
        message.Headers.Add("Auto-Submitted", "auto-generated");
        var body = new MultipartReport("tlsrpt");
        body.Add(new TextPart("plain") { Text = $"This is an aggregate TLS report from {settings.OrganizationName} for {report.PolicyDomain} (RFC 8460).\r\n" });
        body.Add(new MimePart("application", "tlsrpt+gzip")
        {
            Content = new MimeContent(new MemoryStream(report.Gzipped())),
            ContentTransferEncoding = ContentEncoding.Base64,
            ContentDisposition = new ContentDisposition(ContentDisposition.Attachment),
            FileName = report.FileName(submitter),
        });
        message.Body = body;
        using var raw = new MemoryStream();
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        message.WriteTo(format, raw, ct);

        var submitted = await submissions.SubmitAsync(new Submission(id, account.Id, MessageSource.Api, from.Address, [to], raw.ToArray(),
            message.From.ToString(), message.Subject, ["tlsrpt"], null), ct);
        if (submitted is Submitted.Accepted) log.LogInformation("TLS report {ReportId} for {Domain} queued to {To}", report.ReportId, report.PolicyDomain, to);
        else log.LogWarning("TLS report {ReportId} for {Domain} to {To} was not queued: {Answer}", report.ReportId, report.PolicyDomain, to, submitted);
    }

    /// <summary>The report URIs of the one <c>v=TLSRPTv1</c> record at <c>_smtp._tls.&lt;domain&gt;</c> (RFC 8460 §3).</summary>
    private static async Task<IReadOnlyList<string>> RuaAsync(LookupClient dns, string domain, CancellationToken ct)
    {
        var answer = await dns.QueryAsync($"_smtp._tls.{domain}", QueryType.TXT, cancellationToken: ct);
        var records = answer.Answers.TxtRecords().Select(r => string.Concat(r.Text))
            .Where(t => t.StartsWith("v=TLSRPTv1", StringComparison.Ordinal)).ToArray();
        if (records.Length != 1) return [];
        foreach (var field in records[0].Split(';'))
        {
            var parts = field.Split('=', 2);
            if (parts.Length == 2 && parts[0].Trim() == "rua")
                return [.. parts[1].Split(',').Select(u => u.Trim()).Where(u => u.Length > 0)];
        }
        return [];
    }
}
