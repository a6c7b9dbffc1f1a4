using System.Globalization;

namespace Quotas.LoadTest.Options;

/// <summary>
/// A set of CPUs in the list syntax of Linux and <c>taskset -c</c> (<c>0</c>, <c>0-2</c>, <c>0,2-3</c>): which CPUs
/// the servers under test may run on, and which the generator itself may.
/// </summary>
internal sealed class CpuList
{
    private const int MaxCpu = 4095;

    private CpuList(SortedSet<int> cpus) => Cpus = cpus;

    public IReadOnlySet<int> Cpus { get; }

    /// <summary>Parses <paramref name="text"/>; null and a reason in <paramref name="error"/> when it is not a CPU list.</summary>
    public static CpuList? TryParse(string text, out string? error)
    {
        var cpus = new SortedSet<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var range = part.Split('-');
            if (range.Length is < 1 or > 2 || !TryCpu(range[0], out var first) || !TryCpu(range[^1], out var last) || last < first)
            {
                error = $"'{text}' is not a CPU list: write CPU numbers and ranges as taskset -c takes them, e.g. 0 or 0-2 or 0,2-3.";
                return null;
            }

            for (var cpu = first; cpu <= last; cpu++)
            {
                cpus.Add(cpu);
            }
        }

        error = null;
        return new CpuList(cpus);
    }

    /// <summary>The CPUs this process may run on (its affinity, as <c>taskset</c> set it); null where Linux does not say.</summary>
    public static CpuList? OfThisProcess() => FromFile("/proc/self/status", "Cpus_allowed_list:");

    /// <summary>The machine's online CPUs; null where Linux does not say.</summary>
    public static CpuList? Online() => FromFile("/sys/devices/system/cpu/online", prefix: null);

    public bool Overlaps(CpuList other) => Cpus.Overlaps(other.Cpus);

    public bool IsWithin(CpuList other) => Cpus.IsSubsetOf(other.Cpus);

    /// <summary>Back in the list syntax, ranges collapsed: <c>0-2,5</c>.</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        int? start = null;
        var previous = -2;
        foreach (var cpu in Cpus.Append(int.MaxValue))
        {
            if (cpu != previous + 1)
            {
                if (start is { } s)
                {
                    parts.Add(s == previous ? Text(s) : $"{Text(s)}-{Text(previous)}");
                }

                start = cpu;
            }

            previous = cpu;
        }

        return string.Join(',', parts);
    }

    private static string Text(int cpu) => cpu.ToString(CultureInfo.InvariantCulture);

    private static bool TryCpu(string text, out int cpu) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out cpu) && cpu <= MaxCpu;

    private static CpuList? FromFile(string path, string? prefix)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        foreach (var line in File.ReadLines(path))
        {
            if (prefix is null || line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return TryParse(line[(prefix?.Length ?? 0)..].Trim(), out _);
            }
        }

        return null;
    }
}
