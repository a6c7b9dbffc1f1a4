using System.Diagnostics;

namespace Grains.Cluster.Tests;

/// <summary>A silo running as its own process (tests/Grains.Cluster.TestSilo), as in a real deployment on one host.</summary>
internal sealed class SiloProcess : IDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SiloProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, line) =>
        {
            if (line.Data?.StartsWith("SILO READY ", StringComparison.Ordinal) == true)
            {
                _ready.TrySetResult(line.Data["SILO READY ".Length..]);
            }
        };
        _process.ErrorDataReceived += (_, line) => Errors.Add(line.Data ?? "");
        _process.Exited += (_, _) => _ready.TrySetException(new InvalidOperationException($"The silo process exited with {_process.ExitCode}: {string.Join(Environment.NewLine, Errors)}"));
    }

    public List<string> Errors { get; } = [];

    /// <summary>The silo's address, once it has joined.</summary>
    public string Address { get; private set; } = "";

    public static async Task<SiloProcess> StartAsync(string clusterId, string serviceId, string postgres)
    {
        var silo = Path.Combine(AppContext.BaseDirectory, "Grains.Cluster.TestSilo.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { silo, "--cluster", clusterId, "--service", serviceId, "--postgres", postgres })
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var handle = new SiloProcess(process);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        handle.Address = await handle._ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
        return handle;
    }

    /// <summary>kill -9: the process ends at once, with no chance to say goodbye.</summary>
    public void KillHard()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    public void Dispose()
    {
        KillHard();
        _process.Dispose();
    }
}
