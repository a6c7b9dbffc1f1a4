using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Quotas.LoadTest.Load;

/// <summary>
/// Waits until a Stopwatch timestamp without burning a core. <see cref="Thread.Sleep(int)"/> cannot wait less than
/// about a millisecond, which would add up to a millisecond of send delay to every request and to the measured
/// latency (taken from the intended send time); Linux <c>usleep</c> wakes within tens of microseconds. Spinning
/// would be more precise but takes one of the machine's two cores away from the server under test.
/// </summary>
internal static partial class PreciseSleep
{
    private static readonly long s_ticksPerMicrosecond = Math.Max(1, Stopwatch.Frequency / 1_000_000);
    private static bool s_usleepWorks = OperatingSystem.IsLinux();

    public static void Until(long timestamp)
    {
        while (true)
        {
            var remaining = timestamp - Stopwatch.GetTimestamp();
            if (remaining <= 0)
            {
                return;
            }

            var micros = remaining / s_ticksPerMicrosecond;
            if (micros >= 2_000 || !s_usleepWorks)
            {
                // Far ahead (or no usleep): a coarse sleep, then look again.
                Thread.Sleep(micros >= 1_000 ? 1 : 0);
            }
            else
            {
                MicroSleep((uint)Math.Max(1, micros));
            }
        }
    }

    private static void MicroSleep(uint micros)
    {
        try
        {
            _ = USleep(micros);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            s_usleepWorks = false;
        }
    }

    [DllImport("libc", EntryPoint = "usleep")]
    private static extern int USleep(uint microseconds);
}
