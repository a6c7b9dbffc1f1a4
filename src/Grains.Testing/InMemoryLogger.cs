using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Grains.Testing;

/// <summary>One captured log entry.</summary>
public sealed record LogEntry(DateTimeOffset Time, string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception)
{
    public override string ToString() => $"{Time:HH:mm:ss.fff} {Level} {Category}[{EventId.Id}] {Message}{(Exception is null ? "" : " " + Exception.GetType().Name + ": " + Exception.Message)}";
}

/// <summary>Captures log entries in memory so tests can assert what was logged (and print it when they fail).</summary>
public sealed class InMemoryLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();
    private readonly LogLevel _minimum;
    private readonly TimeProvider _time;
    private readonly Lock _waitersLock = new();
    private readonly List<(Func<LogEntry, bool> Match, TaskCompletionSource<LogEntry> Found)> _waiters = [];

    public InMemoryLoggerProvider(LogLevel minimum = LogLevel.Debug, TimeProvider? time = null)
    {
        _minimum = minimum;
        _time = time ?? TimeProvider.System;
    }

    public IReadOnlyCollection<LogEntry> Entries => _entries;

    /// <summary>
    /// Completes with the first entry, logged before or after the call, that <paramref name="match"/> accepts; fails
    /// with every captured entry in the message once <paramref name="deadline"/> (default 10 s) passed without one.
    /// </summary>
    public async Task<LogEntry> WaitForAsync(Func<LogEntry, bool> match, TimeSpan? deadline = null)
    {
        ArgumentNullException.ThrowIfNull(match);
        var found = new TaskCompletionSource<LogEntry>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waitersLock)
        {
            // Under the lock, so that an entry logged meanwhile is either seen here or offered to the waiter.
            if (_entries.FirstOrDefault(match) is { } logged)
            {
                return logged;
            }

            _waiters.Add((match, found));
        }

        var limit = deadline ?? TimeSpan.FromSeconds(10);
        try
        {
            return await found.Task.WaitAsync(limit);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"No matching log entry within {limit}; captured:{Environment.NewLine}{this}");
        }
        finally
        {
            lock (_waitersLock)
            {
                _waiters.RemoveAll(w => w.Found == found);
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    public override string ToString() => string.Join(Environment.NewLine, _entries);

    private void Add(LogEntry entry)
    {
        lock (_waitersLock)
        {
            _entries.Enqueue(entry);
            foreach (var (match, found) in _waiters)
            {
                if (match(entry))
                {
                    found.TrySetResult(entry);
                }
            }
        }
    }

    private sealed class Logger(InMemoryLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= owner._minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                owner.Add(new LogEntry(owner._time.GetUtcNow(), category, logLevel, eventId, formatter(state, exception), exception));
            }
        }
    }
}
