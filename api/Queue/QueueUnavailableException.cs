namespace EmailApi.Queue;

/// <summary>The queue could not take the message now (database error, shutdown); the client should retry.</summary>
public sealed class QueueUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
