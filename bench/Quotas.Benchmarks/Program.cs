using BenchmarkDotNet.Running;
using Quotas.Benchmarks.Scheduling;
using Quotas.Benchmarks.Tenants;

// Recorded figures and the commands that made them: bench/Quotas.Benchmarks/RESULTS.md.
//   -- tenants [--pure]        admission checks: baseline, pure logic, TenantGrain (local call)
//   -- memory                  retained bytes per active tenant at 100,000 tenants
//   -- scheduler-grain [jobs] [--postgres <connection string>]
//                             submit + lease + complete through FairShareSchedulerGrain (SQLite unless --postgres)
//   -- scheduler-reconfigure [jobs] [--postgres <connection string>]
//                             one configuration change of a pool with that many queued jobs, through the grain
//   -- child-deliveries [senders] [--postgres <connection string>]
//                             deliveries of budget usage from children one parent takes a second, against its own RecordUsage
//   -- child-rates             rate hits of children through their parents, against tenants without a parent
//   -- metering-snapshot       what full usage rollups add to a busy tenant's stored write (bytes, serialization time)
//   -- reclaim-pressure        a pool's calls while a large reclaim is pending, against the same calls without (pure logic)
//   -- scheduling-quick        fair-share decisions of the pure logic against PriorityQueue (stopwatch)
//   -- scheduling-ab <dir A> <dir B> [seconds]
//                             two builds of this project in one process, alternating slices of the same cycle
//   --filter '*'               the BenchmarkDotNet classes
switch (args)
{
    case ["tenants"]:
        await TenantThroughputReport.RunAsync(Console.Out);
        break;
    case ["tenants", "--pure"]:
        await TenantThroughputReport.RunAsync(Console.Out, pureOnly: true);
        break;
    case ["memory"]:
        TenantMemoryReport.Run(Console.Out);
        break;
    case ["child-deliveries", ..]:
        await ChildDeliveryThroughput.RunAsync(Console.Out, args.Length > 1 && int.TryParse(args[1], out var senders) ? senders : 64, Postgres(args));
        break;
    case ["scheduler-grain", ..]:
        await SchedulerGrainThroughput.RunAsync(Console.Out, JobCount(args), Postgres(args));
        break;
    case ["scheduler-reconfigure", ..]:
        await SchedulerReconfigure.RunAsync(Console.Out, JobCount(args), Postgres(args));
        break;
    case ["metering-snapshot"]:
        MeteringSnapshotCost.Run(Console.Out);
        break;
    case ["child-rates"]:
        await ChildRateThroughput.RunAsync(Console.Out);
        break;
    case ["reclaim-pressure"]:
        ReclaimPressure.Run(Console.Out);
        break;
    case ["scheduling-quick"]:
        SchedulingThroughput.Run(["--quick"]);
        break;
    case ["scheduling-ab", var first, var second, ..]:
        BuildComparison.Run(first, second, TimeSpan.FromSeconds(args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 60), Console.Out);
        break;
    default:
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        break;
}

// The optional job count after the command (default 20,000) and the connection string after --postgres, if any.
static int JobCount(string[] args) =>
    args.Length > 1 && args[1] != "--postgres" ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 20_000;

static string? Postgres(string[] args) =>
    Array.IndexOf(args, "--postgres") is var at and > 0 && at + 1 < args.Length ? args[at + 1] : null;
