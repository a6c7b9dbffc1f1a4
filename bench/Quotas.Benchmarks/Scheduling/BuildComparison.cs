using System.Diagnostics;
using System.Reflection;
using System.Runtime.Loader;

namespace Quotas.Benchmarks.Scheduling;

/// <summary>
/// Two builds of the scheduler in one process, taking turns with slices of the <see cref="SchedulingThroughput"/>
/// cycle (lease 64 in fair order, complete, submit a replacement; 10,000 tenants, 1,000,000 queued jobs each), so that a
/// slower or faster spell of a shared machine falls on both. On the project's VM separate runs of one binary differ by up
/// to 30 %. One build against itself read 0.95 and 1.07 in two runs of 40 s (each copy lays out its million jobs in
/// memory differently), so a difference under about 10 % needs several runs, in both orders. Each build is the Release
/// output directory of this project in its own tree (for example one made with <c>git worktree add /tmp/base HEAD~1</c>),
/// loaded with its own Quotas.Core.
/// </summary>
internal static class BuildComparison
{
    private static readonly TimeSpan s_slice = TimeSpan.FromSeconds(1);

    public static void Run(string first, string second, TimeSpan duration, TextWriter output)
    {
        var builds = new[] { Load(first), Load(second) };
        output.WriteLine($"setting up both builds ({SchedulingThroughput.TenantCount:N0} tenants, {SchedulingThroughput.TenantCount * SchedulingThroughput.JobsPerTenant:N0} queued jobs each)");
        foreach (var build in builds)
        {
            build.Setup();
            build.Cycle();
        }

        var rates = new[] { new List<double>(), new List<double>() };
        var total = Stopwatch.StartNew();
        for (var round = 0; total.Elapsed < duration; round++)
        {
            // Each goes first in every other round, so that neither always follows the other's slice.
            foreach (var i in round % 2 == 0 ? [0, 1] : new[] { 1, 0 })
            {
                rates[i].Add(Slice(builds[i].Cycle));
            }
        }

        var ratios = rates[1].Zip(rates[0], (b, a) => b / a).Order().ToList();
        for (var i = 0; i < builds.Length; i++)
        {
            output.WriteLine($"{builds[i].Name}: median {Median(rates[i]):N0} decisions/s over {rates[i].Count} slices of {s_slice.TotalSeconds:F0} s");
        }

        output.WriteLine(
            $"second / first, per pair of slices: median {Median(ratios):F3}, quartiles {ratios[ratios.Count / 4]:F3} to {ratios[3 * ratios.Count / 4]:F3}");
        output.WriteLine("One build against itself has read from 0.95 to 1.07: run again with the two swapped before reading a difference under 10 %.");
    }

    private static double Slice(Func<long> cycle)
    {
        var watch = Stopwatch.StartNew();
        var cycles = 0;
        while (watch.Elapsed < s_slice)
        {
            cycle();
            cycles++;
        }

        return cycles * (double)SchedulingThroughput.Decisions / watch.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static Build Load(string directory)
    {
        var path = Path.GetFullPath(Path.Combine(directory, "Quotas.Benchmarks.dll"));
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"No Quotas.Benchmarks.dll in '{directory}'; give the Release output directory of bench/Quotas.Benchmarks in each tree (build it with -c Release first).", path);
        }

        var assembly = new BuildContext(Path.GetDirectoryName(path)!).LoadFromAssemblyPath(path);
        var type = assembly.GetType(typeof(SchedulingThroughput).FullName!, throwOnError: true)!;
        var bench = Activator.CreateInstance(type)!;
        var setup = type.GetMethod(nameof(SchedulingThroughput.Setup))!.CreateDelegate<Action>(bench);
        var cycle = type.GetMethod(nameof(SchedulingThroughput.FairShareDecisions), Type.EmptyTypes)!.CreateDelegate<Func<long>>(bench);
        return new Build(directory, setup, cycle);
    }

    private sealed record Build(string Name, Action Setup, Func<long> Cycle);

    /// <summary>Loads a build's own assemblies from its directory; the framework's come from the default context.</summary>
    private sealed class BuildContext(string directory) : AssemblyLoadContext(isCollectible: false)
    {
        protected override Assembly? Load(AssemblyName name)
        {
            var path = Path.Combine(directory, name.Name + ".dll");
            return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
        }
    }
}
