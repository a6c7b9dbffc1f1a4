using System.Diagnostics;
using Microsoft.Extensions.Hosting;

namespace Quotas.LoadTest.Servers;

/// <summary>Stops a baseline server when the generator that started it is gone, killed or crashed, so none is left behind.</summary>
internal static class ParentWatch
{
    public static async Task StopWhenGoneAsync(int parentPid, IHostApplicationLifetime lifetime)
    {
        var stopping = lifetime.ApplicationStopping;
        try
        {
            while (IsRunning(parentPid))
            {
                await Task.Delay(TimeSpan.FromSeconds(1), stopping);
            }

            lifetime.StopApplication();
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopping anyway.
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
