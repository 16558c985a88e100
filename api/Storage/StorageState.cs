namespace EmailApi.Storage;

/// <summary>What the last check of the database found: mail can be stored now, or not and why.</summary>
public abstract record StorageState
{
    private StorageState() { }

    public sealed record Writable : StorageState;

    /// <param name="Reason">Safe to show to anyone (readiness body): no paths, no connection strings.</param>
    /// <param name="Permanent">The file this process has open is no longer the database at its path; only a restart can recover.</param>
    public sealed record Unavailable(string Reason, bool Permanent) : StorageState;
}
