using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Anomaly.ED.Tests.Data;

/// <summary>A logger that records every entry, for asserting warnings (thread-safe).</summary>
internal sealed class ListLogger : ILogger
{
    private readonly ConcurrentQueue<(LogLevel Level, EventId EventId, string Message)> entries = new();

    public IReadOnlyList<(LogLevel Level, EventId EventId, string Message)> Entries => entries.ToArray();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        entries.Enqueue((logLevel, eventId, formatter(state, exception)));
}
