namespace EmailApi.Storage;

/// <summary>
/// The storage refuses to start as configured (its database is missing where one existed, or was
/// replaced). The message is one line for the operator; the process prints it and exits non-zero.
/// </summary>
public sealed class StorageStartException(string message) : Exception(message);
