using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Soma.Testing;

/// <summary>Keeps every log entry (event id, formatted message and exception), to check what reaches the logs.</summary>
public sealed class ListLogger<T> : ILogger<T>
{
    private readonly ConcurrentQueue<(int EventId, LogLevel Level, string Text)> _entries = new();

    public IReadOnlyList<(int EventId, LogLevel Level, string Text)> Entries => [.. _entries];

    public IReadOnlyList<int> EventIds => [.. _entries.Select(e => e.EventId)];

    public string AllText => string.Join("\n", _entries.Select(e => e.Text));

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _entries.Enqueue((eventId.Id, logLevel, formatter(state, exception) + (exception is null ? string.Empty : "\n" + exception)));
}
