using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace EmailApi.Tests.Delivery;

/// <summary>
/// The sender's own account of what it did (its Information lines and up), kept in memory so a
/// test that waited in vain for a message can say why: deferred with which reply, never leased,
/// or failed before it dialled.
/// </summary>
public sealed class SenderLog : ILoggerProvider
{
    private const int Kept = 200;
    private readonly ConcurrentQueue<string> _lines = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public override string ToString() =>
        _lines.IsEmpty ? "The sender logged nothing." : "The sender logged:\n  " + string.Join("\n  ", _lines);

    public void Dispose() { }

    private sealed class Logger(SenderLog owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            owner._lines.Enqueue($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : " " + exception.GetType().Name + ": " + exception.Message)}");
            while (owner._lines.Count > Kept) owner._lines.TryDequeue(out _);
        }
    }
}
