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
/// Sends the aggregate TLS reports of RFC 8460: one per policy domain and UTC day (§4.1), from the session
/// counts every sender node adds to the database, to the <c>rua</c> addresses of the domain's
/// <c>_smtp._tls</c> TXT record (§3). Every <c>CheckInterval</c> each node looks for finished days; the one
/// whose claim of a (day, domain) inserts the row sends it, then the day's counts are deleted.
/// <c>mailto:</c> reports are queued through the submission service as ordinary mail from
/// <c>TlsReports:From</c> (§5.3); <c>https:</c> ones are POSTed (§5.2) through the MTA-STS client's
/// address rule; a failed POST is logged and not retried.
/// A domain without a TLSRPT record gets no report. The same loop writes this node's sessions to the
/// database (<see cref="TlsResults.Pending"/>); sessions counted after their day was claimed, and days
/// never sent, are deleted after <c>KeepDays</c>.
/// </summary>
public sealed class TlsReportWorker(
    TlsResults results,
    ITlsReportStore store,
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
        var writer = CountAsync(stoppingToken);
        var node = $"{Environment.MachineName}/{Environment.ProcessId}";
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(settings.CheckInterval, clock, stoppingToken);
                await SendDueAsync(dns, node, settings, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                log.LogWarning(ex, "Looking for TLS reports to send failed");
            }
        }
        await writer;
    }

    /// <summary>Adds this node's sessions to the shared counts as they happen; on shutdown what is queued is still written.</summary>
    private async Task CountAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var pending in results.Pending.ReadAllAsync(stoppingToken))
                await AddAsync(pending, CancellationToken.None);
        }
        catch (OperationCanceledException)
        {
        }
        while (results.Pending.TryRead(out var left)) await AddAsync(left, CancellationToken.None);
    }

    private async Task AddAsync(PendingTlsResult pending, CancellationToken ct)
    {
        try
        {
            await store.AddAsync(pending.Day, pending.Key, pending.Policy, ct);
        }
        catch (Exception ex)
        {
            log.LogWarning(ex, "A TLS session result for {Domain} could not be counted", pending.Key.Domain);
        }
    }

    private async Task SendDueAsync(LookupClient dns, string node, TlsReportOptions settings, CancellationToken ct)
    {
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        foreach (var due in await store.DueAsync(today, ct))
        {
            if (!await store.TryClaimAsync(due, node, clock.GetUtcNow(), ct)) continue;   // another node sends it
            try
            {
                await ReportAsync(dns, due, await store.CountsAsync(due, ct), settings, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                log.LogWarning(ex, "The TLS report for {Domain} on {Day} could not be sent", due.Domain, due.Day);
            }
            await store.DeleteCountsAsync(due, ct);
        }
        await store.PurgeAsync(today.AddDays(-settings.KeepDays), ct);
    }

    private async Task ReportAsync(LookupClient dns, TlsReportDay due, IReadOnlyList<TlsReportCount> counts, TlsReportOptions settings, CancellationToken ct)
    {
        var domain = due.Domain;
        if (counts.Count == 0) return;
        var rua = await RuaAsync(dns, domain, ct);
        if (rua.Count == 0) return;
        var submitter = MailboxAddress.Parse(settings.From).Domain;
        var report = TlsReport.Build(domain, counts, due.Day, $"{due.Day:yyyyMMdd}.{Guid.NewGuid():N}@{submitter}", settings);
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
