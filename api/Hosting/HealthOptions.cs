namespace EmailApi.Hosting;

public sealed class HealthOptions
{
    public const string Section = "Health";

    /// <summary>
    /// Readiness fails when the sender loop has not gone round for this long, or when mail has been
    /// due for this long and the sender has not asked the queue for work in as long.
    /// </summary>
    public TimeSpan SenderStallAfter { get; set; } = TimeSpan.FromMinutes(1);
}
