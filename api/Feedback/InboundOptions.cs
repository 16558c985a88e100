namespace EmailApi.Feedback;

/// <summary>
/// <c>Inbound:*</c>: the inbound (mx) listener for bounces, complaints and mailed unsubscribes. Its
/// session limits, timeouts and certificate are the SMTP bridge's (<c>Smtp:*</c>); only where it
/// listens and how large a report may be are its own.
/// </summary>
public sealed class InboundOptions
{
    public const string Section = "Inbound";

    public string Address { get; set; } = "127.0.0.1";

    /// <summary>25 in production (the return-path subdomain's MX points here); -1 turns the listener off.</summary>
    public int Port { get; set; } = 2527;

    /// <summary>
    /// A report is small: a DSN carries the original's headers (Postfix, Exchange) or at most the
    /// whole original. 5 MiB takes both and refuses a flood with 552.
    /// </summary>
    public int MaxMessageBytes { get; set; } = 5 * 1024 * 1024;

    /// <summary>
    /// Soft bounces (mailbox full, unknown 5.x.x, 4.x.x failures) suppress only when this many for one
    /// address of one account arrive within <see cref="SoftBounceWindow"/>: one full mailbox is
    /// ordinary, a mailbox full for a week is abandoned.
    /// </summary>
    public int SoftBouncesToSuppress { get; set; } = 3;

    public TimeSpan SoftBounceWindow { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often a sender node looks for reports to process.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
}
