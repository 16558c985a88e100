using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using EmailApi.Delivery.MtaSts;

namespace EmailApi.TlsReports;

/// <summary>One RFC 8460 §4 aggregate report for one policy domain: the JSON, gzipped for sending (§5.1).</summary>
public sealed record TlsReport(string PolicyDomain, string ReportId, DateTimeOffset Begin, DateTimeOffset End, byte[] Json)
{
    public const string MediaType = "application/tlsrpt+gzip";

    public static TlsReport Build(string domain, MtaStsPolicy? policy, IReadOnlyDictionary<TlsResultKey, long> counts,
        DateTimeOffset begin, DateTimeOffset end, string reportId, TlsReportOptions settings)
    {
        var mine = counts.Where(c => c.Key.Domain == domain).ToArray();
        var success = mine.Where(c => c.Key.Result == "success").Sum(c => c.Value);
        var failures = mine.Where(c => c.Key.Result != "success").ToArray();
        var policyNode = new JsonObject
        {
            // §4.4: "sts" with the policy's lines, or "no-policy-found" when the domain had none in force.
            ["policy-type"] = policy is null ? "no-policy-found" : "sts",
            ["policy-domain"] = domain,
        };
        if (policy is not null)
        {
            policyNode["policy-string"] = new JsonArray([.. policy.Lines.Select(l => JsonValue.Create(l))]);
            policyNode["mx-host"] = new JsonArray([.. policy.Mx.Select(m => JsonValue.Create(m))]);
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
            ["policies"] = new JsonArray(new JsonObject
            {
                ["policy"] = policyNode,
                ["summary"] = new JsonObject
                {
                    ["total-successful-session-count"] = success,
                    ["total-failure-session-count"] = failures.Sum(c => c.Value),
                },
                ["failure-details"] = new JsonArray([.. failures.Select(f =>
                {
                    var detail = new JsonObject { ["result-type"] = f.Key.Result, ["failed-session-count"] = f.Value };
                    if (f.Key.Mx is not null) detail["receiving-mx-hostname"] = f.Key.Mx;
                    return (JsonNode)detail;
                })]),
            }),
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
