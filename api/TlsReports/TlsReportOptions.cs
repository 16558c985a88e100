namespace EmailApi.TlsReports;

public sealed class TlsReportOptions
{
    public const string Section = "TlsReports";

    /// <summary>Send RFC 8460 aggregate reports of outbound TLS results to the domains that ask for them.</summary>
    public bool Enabled { get; set; }

    /// <summary>The report's <c>organization-name</c> (RFC 8460 §4.4).</summary>
    public string OrganizationName { get; set; } = "";

    /// <summary>The report's <c>contact-info</c>: an address or URL for questions about it.</summary>
    public string ContactInfo { get; set; } = "";

    /// <summary>The From (and envelope sender) of reports sent by mail.</summary>
    public string From { get; set; } = "";

    /// <summary>The account whose queue and limits the report mail goes through.</summary>
    public string Account { get; set; } = "default";

    /// <summary>
    /// How often a sender node looks for finished UTC days whose report no node has claimed yet. A report
    /// always covers one UTC day (RFC 8460 §4.1); this only bounds how late after midnight it goes out.
    /// </summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Counts of days older than this are deleted whether or not their report went out (late counts of sent days, days without a TLSRPT record).</summary>
    public int KeepDays { get; set; } = 7;
}
