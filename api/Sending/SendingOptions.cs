namespace EmailApi.Sending;

public sealed class SendingOptions
{
    public const string Section = "Sending";

    /// <summary>Largest message accepted, as encoded MIME (both doors; the SMTP SIZE limit is <c>Smtp:MaxMessageBytes</c>).</summary>
    public long MaxMessageBytes { get; set; } = 25 * 1024 * 1024;

    /// <summary>Recipients per message (to + cc + bcc).</summary>
    public int MaxRecipients { get; set; } = 50;
}
