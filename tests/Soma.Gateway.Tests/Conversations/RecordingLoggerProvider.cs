using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Soma.Gateway.Tests.Conversations;

/// <summary>
/// Keeps every log entry as one line of text: level, category, event id, the formatted message, each structured value,
/// each active scope with its values, and the exception with its inner exceptions, as any log sink could write them.
/// </summary>
internal sealed class RecordingLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<string> _lines = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public IReadOnlyList<string> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private static void AppendValues(StringBuilder line, object? state)
    {
        if (state is IEnumerable<KeyValuePair<string, object?>> values)
        {
            foreach (var (key, value) in values)
            {
                line.Append(' ').Append(key).Append('=').Append(value);
            }
        }
    }

    private sealed class Logger(RecordingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => provider._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = new StringBuilder().Append(logLevel).Append(' ').Append(category).Append('[').Append(eventId.Id).Append("] ").Append(formatter(state, exception));
            AppendValues(line, state);
            provider._scopes.ForEachScope(
                (scope, builder) =>
                {
                    builder.Append(" => ").Append(scope);
                    AppendValues(builder, scope);
                },
                line);
            if (exception is not null)
            {
                line.Append('\n').Append(exception);
            }

            provider._lines.Enqueue(line.ToString());
        }
    }
}
