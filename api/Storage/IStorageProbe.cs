namespace EmailApi.Storage;

/// <summary>
/// One check that the database can take mail now: it is there, it is the one the process started
/// with, and a write commits. Never throws for the database's faults: they are the answer.
/// </summary>
public interface IStorageProbe
{
    Task<StorageState> CheckAsync(CancellationToken ct);
}
