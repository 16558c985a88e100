namespace EmailApi.Events;

public sealed class WebhookOptions
{
    public const string Section = "Webhooks";

    /// <summary>
    /// Waits after each failed attempt; once they are used up the event is given up. Unset, the
    /// defaults apply (<see cref="DefaultRetryDelays"/>, about 24 hours in all, after the Standard
    /// Webhooks schedule). Null rather than a filled list, because configuration binding appends to a list.
    /// </summary>
    public List<TimeSpan>? RetryDelays { get; set; }

    public static readonly IReadOnlyList<TimeSpan> DefaultRetryDelays =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30),
        TimeSpan.FromHours(2), TimeSpan.FromHours(5), TimeSpan.FromHours(10), TimeSpan.FromHours(6),
    ];

    public IReadOnlyList<TimeSpan> Delays => RetryDelays is { Count: > 0 } delays ? delays : DefaultRetryDelays;

    /// <summary>Allow endpoints on loopback, private and other special-purpose networks and on this machine (off: webhooks must not reach into the service's own network).</summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>Name servers for webhook host names, <c>ip</c> or <c>ip:port</c>; empty means the system's resolver.</summary>
    public List<string> DnsServers { get; set; } = [];

    /// <summary>An endpoint that has failed every attempt for this long is disabled.</summary>
    public TimeSpan DisableAfter { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long one POST may take, connection included.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>POSTs in flight at once, over all endpoints.</summary>
    public int MaxConcurrency { get; set; } = 16;
}
