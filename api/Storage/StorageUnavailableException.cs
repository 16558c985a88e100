namespace EmailApi.Storage;

/// <summary>The database is gone or cannot be written; a write that meets it is answered "try again later".</summary>
public sealed class StorageUnavailableException(string message) : Exception(message);
