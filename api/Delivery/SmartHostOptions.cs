namespace EmailApi.Delivery;

/// <summary>An upstream relay that takes all outgoing mail, with AUTH. Off while <see cref="Host"/> is empty.</summary>
public sealed class SmartHostOptions
{
    public string? Host { get; set; }
    public int Port { get; set; } = 587;

    /// <summary><c>StartTls</c> (required, default), <c>Implicit</c> (TLS from the first byte, port 465) or <c>None</c>.</summary>
    public SmartHostTls Tls { get; set; } = SmartHostTls.StartTls;

    public string? Username { get; set; }
    public string? Password { get; set; }

    /// <summary>Skip certificate validation (only for a relay with a private certificate you trust otherwise).</summary>
    public bool AcceptAnyCertificate { get; set; }

    public bool Enabled => !string.IsNullOrWhiteSpace(Host);
}

public enum SmartHostTls
{
    StartTls,
    Implicit,
    None,
}
