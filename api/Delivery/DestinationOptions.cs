namespace EmailApi.Delivery;

public sealed class DestinationOptions
{
    /// <summary><c>Opportunistic</c> (default, like Postfix's <c>may</c>) or <c>Require</c> (defer rather than send in clear, like <c>encrypt</c>).</summary>
    public TlsPolicy Tls { get; set; } = TlsPolicy.Opportunistic;

    /// <summary>Simultaneous connections to this domain; null means <c>Delivery:PerDomainConcurrency</c>.</summary>
    public int? Concurrency { get; set; }

    /// <summary>At most this many messages a minute to this domain; null means unlimited.</summary>
    public int? MessagesPerMinute { get; set; }
}

public enum TlsPolicy
{
    Opportunistic,
    Require,
}
