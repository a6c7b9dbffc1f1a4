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

    /// <summary>
    /// Asks Linux to wake the calling thread's sleeps on time: by default a sleep may end up to 50 µs late (the timer
    /// slack lets the kernel batch wake-ups), which would be added to every request's send time and so to the latency
    /// of every target. Returns the slack now in force, in nanoseconds; null where it cannot be set.
    /// </summary>
    public static long? TightenTimerSlack()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            return Prctl(SetTimerSlack, 1, 0, 0, 0) == 0 ? TimerSlack() : null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>The calling thread's timer slack in nanoseconds; null where it cannot be read.</summary>
    public static long? TimerSlack()
    {
        try
        {
            return OperatingSystem.IsLinux() && Prctl(GetTimerSlack, 0, 0, 0, 0) is var slack and >= 0 ? slack : null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    private const int SetTimerSlack = 29; // PR_SET_TIMERSLACK
    private const int GetTimerSlack = 30; // PR_GET_TIMERSLACK

    [DllImport("libc", EntryPoint = "prctl")]
    private static extern int Prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);

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
