namespace EmailApi.Delivery;

public sealed class DeliveryOptions
{
    public const string Section = "Delivery";

    /// <summary>Name servers for MX lookups, <c>host</c> or <c>host:port</c>; empty means the system's.</summary>
    public List<string> DnsServers { get; set; } = [];

    public TimeSpan DnsTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Port used to reach MX hosts (25 in production; tests point it at receivers on loopback).</summary>
    public int Port { get; set; } = 25;

    /// <summary>Simultaneous SMTP transactions over all destinations.</summary>
    public int MaxConcurrency { get; set; } = 100;

    /// <summary>Simultaneous connections to one destination domain (Postfix's default is 20).</summary>
    public int PerDomainConcurrency { get; set; } = 20;

    /// <summary>Recipients taken from the queue per lease.</summary>
    public int BatchSize { get; set; } = 200;

    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// After a lease that took everything due (fewer than <see cref="BatchSize"/>), the sender waits
    /// this long before the next, so a steady stream is leased, sent and recorded in batches rather
    /// than a few messages at a time. It adds at most this much to a message's time in the queue.
    /// </summary>
    public TimeSpan LeaseGatherDelay { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>How often the queue is checked for due retries when nothing new arrives.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Time for the TCP connection to a receiving host (Postfix's <c>smtp_connect_timeout</c>).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Time, once connected, for the server's greeting, EHLO and STARTTLS. RFC 5321 §4.5.3.2.1 gives
    /// the greeting 5 minutes, and servers that pause before it on purpose (tarpits, greet delays)
    /// must still get their mail (Postfix's <c>smtp_helo_timeout</c>, 300 s).
    /// </summary>
    public TimeSpan GreetingTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Time allowed for each SMTP command's reply (RFC 5321 §4.5.3.2 suggests minutes).</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long a connection stays open after a delivery, waiting for the next message to the same
    /// destination (Postfix's <c>smtp_connection_cache_time_limit</c>); zero closes every connection
    /// when its delivery ends.
    /// </summary>
    public TimeSpan ConnectionCacheTime { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A connection this old is closed rather than reused (Postfix's <c>smtp_connection_reuse_time_limit</c>).</summary>
    public TimeSpan ConnectionReuseTime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>After this long in the queue a deferred recipient bounces with the last reply it got (Postfix: 5 days).</summary>
    public TimeSpan MaxQueueLifetime { get; set; } = TimeSpan.FromDays(5);

    /// <summary>Delays between attempts; the last one repeats. Each gets ±10% jitter.</summary>
    public List<TimeSpan> RetryDelays { get; set; } = [];

    /// <summary>Per destination domain: TLS policy, connection limit and message rate (e.g. <c>Delivery:Destinations:gmail.com:MessagesPerMinute=100</c>).</summary>
    public Dictionary<string, DestinationOptions> Destinations { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Relay everything through one upstream instead of MX lookups (for networks that block port 25).</summary>
    public SmartHostOptions SmartHost { get; set; } = new();

    public DestinationOptions For(string domain) =>
        Destinations.TryGetValue(domain, out var policy) ? policy : DefaultDestination;

    private static readonly DestinationOptions DefaultDestination = new();

    /// <summary>At most this many MX hosts are tried per attempt, to bound attempt time against hostile zones.</summary>
    public int MaxMxHosts { get; set; } = 5;

    /// <summary>The relay's public IP addresses: the SPF record sending domains are asked to publish, and the HELO name check.</summary>
    public List<string> PublicAddresses { get; set; } = [];
}
