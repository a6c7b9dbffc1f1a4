using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Quotas.Host.Tests;

/// <summary>The Quotas.Host executable running as its own process, on a free loopback port and its own SQLite file.</summary>
internal sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<string> _output = [];
    private readonly List<(string Text, TaskCompletionSource Seen)> _waiters = [];

    private HostProcess(Process process, Uri url)
    {
        _process = process;
        Url = url;
        _process.OutputDataReceived += (_, line) => OnLine(line.Data);
        _process.ErrorDataReceived += (_, line) => OnLine(line.Data);
        _process.Exited += (_, _) => _started.TrySetException(new InvalidOperationException($"The host exited with {_process.ExitCode}:{Environment.NewLine}{Output}"));
    }

    public Uri Url { get; }

    public HttpClient Http { get; } = new();

    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join(Environment.NewLine, _output);
            }
        }
    }

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts the host with the given extra arguments; returns once it logged that it is ready.</summary>
    public static Task<HostProcess> StartAsync(string workingDirectory, params string[] arguments) =>
        StartAsync(workingDirectory, new Dictionary<string, string>(), arguments);

    /// <summary>
    /// Starts the host with <paramref name="environment"/> added to its environment (as a container's settings are
    /// given) and the extra arguments, which take precedence over it; returns once it logged that it is ready.
    /// </summary>
    public static async Task<HostProcess> StartAsync(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var host = Launch(workingDirectory, arguments, environment);
        await host._started.Task.WaitAsync(TimeSpan.FromSeconds(60));
        return host;
    }

    /// <summary>Runs the host to its exit (for configurations that must be refused).</summary>
    public static async Task<HostProcess> RunToExitAsync(string workingDirectory, params string[] arguments)
    {
        var host = Launch(workingDirectory, arguments);
        await host._process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return host;
    }

    /// <summary>
    /// Runs a shell command as a user would type it (e.g. the README's run command, which builds first) and returns once
    /// the host it starts logged that it is ready on <paramref name="url"/>.
    /// </summary>
    public static async Task<HostProcess> StartCommandAsync(string workingDirectory, string command, Uri url, TimeSpan timeout)
    {
        var start = StartInfo("bash", workingDirectory);
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        var host = Run(start, url);
        await host._started.Task.WaitAsync(timeout);
        return host;
    }

    private static HostProcess Launch(string workingDirectory, string[] arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var url = new Uri($"http://127.0.0.1:{FreePort()}");
        var start = StartInfo("dotnet", workingDirectory);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Quotas.Host.dll"));
        start.ArgumentList.Add("--Quotas:HttpUrl");
        start.ArgumentList.Add(url.ToString());
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return Run(start, url);
    }

    private static ProcessStartInfo StartInfo(string program, string workingDirectory) => new(program)
    {
        RedirectStandardOutput = true,
        RedirectStandardError = true,
        UseShellExecute = false,
        WorkingDirectory = workingDirectory,
    };

    private static HostProcess Run(ProcessStartInfo start, Uri url)
    {
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var host = new HostProcess(process, url);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    public Task<HttpResponseMessage> GetAsync(string path) => Http.GetAsync(new Uri(Url, path));

    /// <summary>Asks the host to stop as an orchestrator does, with SIGTERM, and returns without waiting for it.</summary>
    public async Task TerminateAsync()
    {
        // bash's own kill, as the README's commands already need bash: no separate kill binary is assumed.
        using var kill = Process.Start("bash", ["-c", $"kill -TERM {_process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)}"]);
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    public Task WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync().WaitAsync(timeout);

    /// <summary>Completes when the host has written a line containing <paramref name="text"/>.</summary>
    public async Task WaitForLineAsync(string text, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_output)
        {
            if (_output.Exists(line => line.Contains(text, StringComparison.Ordinal)))
            {
                return;
            }

            _waiters.Add((text, seen));
        }

        await seen.Task.WaitAsync(timeout);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Add(line);
            foreach (var waiter in _waiters.Where(w => line.Contains(w.Text, StringComparison.Ordinal)))
            {
                waiter.Seen.TrySetResult();
            }
        }

        if (line.Contains("ready on http://", StringComparison.Ordinal))
        {
            _started.TrySetResult();
        }
    }

    /// <summary>A loopback port nothing listens on right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
