using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace EmailApi.TlsReports;

/// <summary>One RFC 8460 §4 aggregate report for one policy domain: the JSON, gzipped for sending (§5.1).</summary>
public sealed record TlsReport(string PolicyDomain, string ReportId, DateTimeOffset Begin, DateTimeOffset End, byte[] Json)
{
    public const string MediaType = "application/tlsrpt+gzip";

    /// <summary>
    /// The report of one policy domain for one UTC day: one <c>policies</c> entry per policy in force that
    /// day (a policy changing mid-day gives two, RFC 8460 §4.4), from the counts every node added up.
    /// </summary>
    public static TlsReport Build(string domain, IReadOnlyList<TlsReportCount> counts, DateOnly day, string reportId, TlsReportOptions settings)
    {
        var begin = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var end = begin.AddDays(1).AddSeconds(-1);   // §4.1's example: 00:00:00Z to 23:59:59Z
        var policies = new JsonArray();
        foreach (var group in counts.GroupBy(c => (c.PolicyType, c.PolicyId)))
        {
            var policy = group.First().Policy();
            var success = group.Where(c => c.Result == "success").Sum(c => c.Sessions);
            var failures = group.Where(c => c.Result != "success").ToArray();
            var policyNode = new JsonObject
            {
                ["policy-type"] = policy is null ? "no-policy-found" : "sts",
                ["policy-domain"] = domain,
            };
            if (policy is not null)
            {
                policyNode["policy-string"] = new JsonArray([.. policy.Lines.Select(l => JsonValue.Create(l))]);
                policyNode["mx-host"] = new JsonArray([.. policy.Mx.Select(m => JsonValue.Create(m))]);
            }
            policies.Add(new JsonObject
            {
                ["policy"] = policyNode,
                ["summary"] = new JsonObject
                {
                    ["total-successful-session-count"] = success,
                    ["total-failure-session-count"] = failures.Sum(c => c.Sessions),
                },
                ["failure-details"] = new JsonArray([.. failures.Select(f =>
                {
                    var detail = new JsonObject { ["result-type"] = f.Result, ["failed-session-count"] = f.Sessions };
                    if (f.Mx is not null) detail["receiving-mx-hostname"] = f.Mx;
                    return (JsonNode)detail;
                })]),
            });
        }
        var report = new JsonObject
        {
            ["organization-name"] = settings.OrganizationName,
            ["date-range"] = new JsonObject
            {
                ["start-datetime"] = begin.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ"),
                ["end-datetime"] = end.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ"),
            },
            ["contact-info"] = settings.ContactInfo,
            ["report-id"] = reportId,
            ["policies"] = policies,
        };
        return new TlsReport(domain, reportId, begin, end, JsonSerializer.SerializeToUtf8Bytes(report));
    }

    public byte[] Gzipped()
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal)) gzip.Write(Json);
        return output.ToArray();
    }

    /// <summary>RFC 8460 §5.1's file name: <c>submitter!policy-domain!begin!end!unique-id.json.gz</c>, times as UNIX seconds.</summary>
    public string FileName(string submitter) =>
        $"{submitter}!{PolicyDomain}!{Begin.ToUnixTimeSeconds()}!{End.ToUnixTimeSeconds()}!{ReportId}.json.gz";
}
