namespace EmailApi.Retention;

public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>Message bodies (the raw MIME) are dropped this many days after acceptance, once no recipient is still live.</summary>
    public int Days { get; set; } = 30;

    /// <summary>Status rows (messages, recipients, events) are kept this long; 0 keeps them for ever.</summary>
    public int StatusDays { get; set; } = 400;

    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);
}
