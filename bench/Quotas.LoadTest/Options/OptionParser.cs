using System.Globalization;
using Quotas.LoadTest.Targets;

namespace Quotas.LoadTest.Options;

/// <summary>Reads the command line of a load-test run; every mistake is reported with what to write instead.</summary>
internal static class OptionParser
{
    public const string Usage = """
        Usage: Quotas.LoadTest [options]            (or: bash bench/Quotas.LoadTest/run.sh [options])

          --quick                 short steps (1 s warm-up, 2 s measured, 1 refinement, 1 round) for a smoke run
          --rounds <n>            times every target is measured, alternating (default 3, quick 1); checks use medians
          --duration <seconds>    measured seconds per step (default 10, quick 2); the half-peak run measures twice that
          --warmup <seconds>      unmeasured seconds before each step (default 3, quick 1)
          --tenants <n>           tenants sharing the traffic with Zipf(1.0) (default 100)
          --limit <n>             requests per tenant per second in every limiter (default 1000)
          --start-rate <n>        first offered rate of the peak search, requests/s (default 2000)
          --targets <list>        comma-separated, run in this order (default gateway,constant,aspnet,redis);
                                  also: cluster (gateway and silo as two processes on PostgreSQL, needs --postgres)
          --postgres <cs>         Npgsql connection string for the cluster target (default: $QUOTAS_LOADTEST_POSTGRES,
                                  which run.sh sets to a local server's)
          --server-cpus <list>    CPUs the servers under test run on (taskset -c syntax, e.g. 0 or 0-2); the generator
                                  must run on others (default: $QUOTAS_LOADTEST_SERVER_CPUS; run.sh sets it and starts
                                  the generator on the last CPU with taskset)
          --shared-cores          servers and generator share every CPU (how runs before 2026-12-05 measured)
          --output <file.md>      append the report to this markdown file
          --help                  this text
        """;

    /// <summary>The cluster target's connection string when <c>--postgres</c> is not given (run.sh sets it).</summary>
    public const string PostgresVariable = "QUOTAS_LOADTEST_POSTGRES";

    /// <summary>The servers' CPUs when <c>--server-cpus</c> is not given (run.sh sets it).</summary>
    public const string ServerCpusVariable = "QUOTAS_LOADTEST_SERVER_CPUS";

    private static readonly HashSet<string> s_valued = ["--rounds", "--duration", "--warmup", "--tenants", "--limit", "--start-rate", "--targets", "--output", "--postgres", "--server-cpus"];

    /// <summary>
    /// Parses <paramref name="args"/>; returns null and fills <paramref name="errors"/> when they are wrong.
    /// <paramref name="machine"/>: the CPUs to check <c>--server-cpus</c> against (the real ones when null).
    /// </summary>
    public static LoadTestOptions? Parse(IReadOnlyList<string> args, List<string> errors, MachineCpus? machine = null)
    {
        machine ??= MachineCpus.Current();
        // --quick sets the defaults that explicit --duration, --warmup and --rounds then override, whatever their order.
        var quick = args.Contains("--quick");
        var options = new LoadTestOptions
        {
            Quick = quick,
            Warmup = TimeSpan.FromSeconds(quick ? 1 : 3),
            StepDuration = TimeSpan.FromSeconds(quick ? 2 : 10),
            Refinements = quick ? 1 : 2,
            Rounds = quick ? 1 : 3,
            Targets = TargetCatalog.Defaults,
            PostgresConnectionString = Environment.GetEnvironmentVariable(PostgresVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null,
        };

        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (name is "--quick" or "--shared-cores")
            {
                continue;
            }

            if (!s_valued.Contains(name))
            {
                errors.Add(name.StartsWith("--", StringComparison.Ordinal)
                    ? $"Unknown option {name} (see --help)."
                    : $"'{name}' is not an option; options start with -- (see --help).");
                continue;
            }

            if (i + 1 >= args.Count)
            {
                errors.Add($"{name} needs a value (see --help).");
                break;
            }

            var value = args[++i];
            options = name switch
            {
                "--rounds" => options with { Rounds = (int)(Whole(name, value, 1, 9, errors) ?? options.Rounds) },
                "--duration" => options with { StepDuration = Seconds(name, value, 1, 600, errors) ?? options.StepDuration },
                "--warmup" => options with { Warmup = Seconds(name, value, 0, 120, errors) ?? options.Warmup },
                "--tenants" => options with { Tenants = (int)(Whole(name, value, 1, 100_000, errors) ?? options.Tenants) },
                "--limit" => options with { Limit = Whole(name, value, 1, 1_000_000_000, errors) ?? options.Limit },
                "--start-rate" => options with { StartRate = Number(name, value, 10, 1_000_000, errors) ?? options.StartRate },
                "--targets" => options with { Targets = TargetList(value, errors) ?? options.Targets },
                "--output" => options with { OutputPath = value },
                "--postgres" => options with { PostgresConnectionString = value },
                "--server-cpus" => options with { ServerCpus = Cpus(name, value, errors) ?? options.ServerCpus },
                _ => throw new InvalidOperationException($"{name} is listed as an option but not parsed."),
            };
        }

        if (options.Targets.Contains(TargetCatalog.Cluster) && string.IsNullOrWhiteSpace(options.PostgresConnectionString))
        {
            errors.Add($"--targets names cluster, which needs PostgreSQL: add --postgres \"Host=...;Username=...;Password=...;Database=...\" or set {PostgresVariable} (run.sh sets it to a local server's).");
        }

        options = WithCpus(options, args, machine, errors);
        return errors.Count == 0 ? options : null;
    }

    /// <summary>
    /// Where the servers run: <c>--shared-cores</c>, else <c>--server-cpus</c>, else the variable run.sh sets. Servers
    /// pinned to CPUs the generator may also use would compete with it as on shared cores, unknowingly: refused.
    /// </summary>
    private static LoadTestOptions WithCpus(LoadTestOptions options, IReadOnlyList<string> args, MachineCpus machine, List<string> errors)
    {
        options = options with { GeneratorCpus = machine.Generator };
        if (args.Contains("--shared-cores"))
        {
            if (args.Contains("--server-cpus"))
            {
                errors.Add("--shared-cores and --server-cpus contradict each other: give one of them.");
            }

            return options with { ServerCpus = null };
        }

        if (options.ServerCpus is null && Environment.GetEnvironmentVariable(ServerCpusVariable) is { Length: > 0 } fromEnvironment)
        {
            options = options with { ServerCpus = Cpus(ServerCpusVariable, fromEnvironment, errors) };
        }

        if (options.ServerCpus is not { } servers)
        {
            return options;
        }

        if (machine.Online is { } online && !servers.IsWithin(online))
        {
            errors.Add($"The server CPUs {servers} are not all online; this machine has CPUs {online}.");
        }
        else if (machine.Online is { } every && every.IsWithin(servers))
        {
            errors.Add($"The server CPUs {servers} are all of this machine's CPUs: leave at least one to the generator, or measure with --shared-cores.");
        }
        else if (machine.Generator is { } generator && servers.Overlaps(generator))
        {
            var others = machine.Online is { } all ? string.Join(',', all.Cpus.Except(servers.Cpus)) : "<other CPUs>";
            errors.Add(
                $"The server CPUs {servers} overlap the CPUs this generator may run on ({generator}): start it on the others, " +
                $"e.g. taskset -c {others} dotnet Quotas.LoadTest.dll ... (run.sh does this), or measure with --shared-cores.");
        }

        return options;
    }

    private static CpuList? Cpus(string name, string value, List<string> errors)
    {
        var cpus = CpuList.TryParse(value, out var error);
        if (cpus is null)
        {
            errors.Add($"{name}: {error}");
        }

        return cpus;
    }

    private static TimeSpan? Seconds(string name, string value, double min, double max, List<string> errors) =>
        Number(name, value, min, max, errors) is { } seconds ? TimeSpan.FromSeconds(seconds) : null;

    private static long? Whole(string name, string value, long min, long max, List<string> errors)
    {
        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max)
        {
            return number;
        }

        errors.Add($"{name} is '{value}': use a whole number from {min} to {max}.");
        return null;
    }

    private static double? Number(string name, string value, double min, double max, List<string> errors)
    {
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max)
        {
            return number;
        }

        errors.Add($"{name} is '{value}': use a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}.");
        return null;
    }

    private static string[]? TargetList(string value, List<string> errors)
    {
        var names = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unknown = names.Where(n => !TargetCatalog.Names.Contains(n)).ToList();
        if (names.Length == 0 || unknown.Count > 0)
        {
            errors.Add($"--targets '{value}': use a comma-separated list of {string.Join(", ", TargetCatalog.Names)}.");
            return null;
        }

        if (names.Distinct().Count() != names.Length)
        {
            errors.Add($"--targets '{value}' names a target twice.");
            return null;
        }

        return names;
    }
}
