using System.Collections.Concurrent;
using System.Diagnostics;
using Quotas.LoadTest.Load.Http;
using Quotas.LoadTest.Options;

namespace Quotas.LoadTest.Targets;

/// <summary>
/// A server process started by the load test. Its output is drained (a full pipe would stall it) and the last lines
/// are kept, so that a server that fails to start can say why. Disposing kills it and its children.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private const int KeptLines = 40;

    private readonly Process _process;
    private readonly string _name;
    private readonly ConcurrentQueue<string> _lastLines = new();

    private ChildProcess(string name, Process process)
    {
        _name = name;
        _process = process;
    }

    /// <summary>
    /// Starts <paramref name="fileName"/>; on <paramref name="cpus"/> only when given, through <c>taskset</c>, so that
    /// every thread of the process (the runtime's included, which start before any code of its own runs) stays there.
    /// </summary>
    public static ChildProcess Start(string name, string fileName, IEnumerable<string> arguments, CpuList? cpus, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(cpus is null ? fileName : "taskset")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        if (cpus is not null)
        {
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(cpus.ToString());
            start.ArgumentList.Add(fileName);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The generator's socket setting is its own: a server under test runs as it would anywhere else.
        start.Environment.Remove(InlineCompletions.Variable);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start };
        var child = new ChildProcess(name, process);
        process.OutputDataReceived += (_, e) => child.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => child.Keep(e.Data);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            process.Dispose();
            throw new StartupException($"Cannot start {name} ({start.FileName}): {e.Message}");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Asks <paramref name="isReady"/> every 100 ms until it answers true; fails with the process's last
    /// output when the process exits or the time runs out.</summary>
    public async Task WaitUntilReadyAsync(Func<CancellationToken, Task<bool>> isReady, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new StartupException($"{_name} exited with code {_process.ExitCode} before it was ready.{LastOutput()}");
            }

            if (await isReady(cancellationToken))
            {
                return;
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new StartupException($"{_name} was not ready within {timeout.TotalSeconds:0} s.{LastOutput()}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    /// <summary>CPU time the process has used so far, user and kernel, all threads.</summary>
    public TimeSpan ProcessorTime
    {
        get
        {
            try
            {
                _process.Refresh();
                return _process.TotalProcessorTime;
            }
            catch (InvalidOperationException)
            {
                // Exited: the step that follows fails on its own; the CPU figure of a dead server means nothing.
                return TimeSpan.Zero;
            }
        }
    }

    public string LastOutput() => _lastLines.IsEmpty ? " It printed nothing." : $" Its last output:\n    {string.Join("\n    ", _lastLines)}";

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
        {
            // Already gone, or stuck in the kernel: nothing more a benchmark can do about it.
        }

        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _lastLines.Enqueue(line);
        while (_lastLines.Count > KeptLines)
        {
            _lastLines.TryDequeue(out _);
        }
    }
}
