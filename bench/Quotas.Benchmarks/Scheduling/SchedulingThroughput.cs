using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using Quotas.Core.Scheduling;

namespace Quotas.Benchmarks.Scheduling;

/// <summary>
/// Scheduling decisions per second with 10,000 tenants and 1,000,000 queued jobs.
/// <para>
/// One decision is one job's full cycle through the public API: it is leased in fair order (LeaseJobs, 64 per call,
/// as a worker with room for 64 would ask), completed (Complete) and a replacement is submitted (Submit, with a new
/// idempotency key) so the queue stays at 1,000,000. The timed loop includes what a caller must allocate (the key
/// string and the request) and every result object the scheduler returns. Finished jobs are forgotten under the
/// pool's default retention (<see cref="PoolConfig.MaxFinishedJobs"/> = 100,000), so the job index stays bounded.
/// </para>
/// <para>
/// Baseline: one Enqueue plus one Dequeue per decision on a <see cref="PriorityQueue{TElement, TPriority}"/> holding
/// 1,000,000 ints with random long priorities, the minimum a priority-ordered queue of that depth does per item.
/// </para>
/// Run: <c>SchedulingThroughput.Run(args)</c>; <c>--quick</c> measures once with a stopwatch instead of BenchmarkDotNet
/// and also prints the time spent in LeaseJobs alone, garbage-collector pause time and bytes allocated per decision,
/// and the <see cref="OrderingFloor"/>: the same cycle on the bare fair order, to show how much of the target the order
/// alone takes.
/// </summary>
[MemoryDiagnoser]
public class SchedulingThroughput
{
    public const int TenantCount = 10_000;
    public const int JobsPerTenant = 100;
    public const int Decisions = 65_536;
    private const int Batch = 64;

    private static readonly DateTimeOffset s_t0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly ResourceVector s_demand = ResourceVector.Of(("cpu_millicores", 100), ("memory_mb", 256), ("workers", 1));
    private static readonly ResourceVector s_workerFree = ResourceVector.Of(("cpu_millicores", 100 * Batch), ("memory_mb", 256 * Batch), ("workers", Batch));

    private FairShareScheduler _scheduler = null!;
    private PriorityQueue<int, long> _queue = null!;
    private TenantId[] _tenants = null!;
    private DateTimeOffset _now;
    private long _next;

    public static void Run(string[] args)
    {
        if (args.Contains("--quick"))
        {
            Quick();
            return;
        }

        BenchmarkSwitcher.FromTypes([typeof(SchedulingThroughput)]).Run(args);
    }

    [GlobalSetup]
    public void Setup()
    {
        _tenants = Enumerable.Range(0, TenantCount).Select(i => new TenantId($"tenant-{i}")).ToArray();
        _scheduler = new FairShareScheduler(new PoolConfig
        {
            Id = "bench",
            Capacity = ResourceVector.Of(("cpu_millicores", 100_000_000), ("memory_mb", 256_000_000), ("workers", 1_000_000)),
            Tenants = _tenants.Select((t, i) => new TenantShare(t, 1 + (i % 3))).ToArray(),
            MaxQueuedJobsPerTenant = JobsPerTenant * 2,
            MaxQueuedJobsPerPool = TenantCount * JobsPerTenant * 2,
        });
        _now = s_t0;
        for (var j = 0; j < JobsPerTenant; j++)
        {
            foreach (var tenant in _tenants)
            {
                _scheduler.Submit(new SubmitJobRequest(tenant, s_demand, (int)(_next % 7), "k" + _next++), _now);
            }
        }

        _queue = new PriorityQueue<int, long>(TenantCount * JobsPerTenant);
        var random = new Random(42);
        for (var i = 0; i < TenantCount * JobsPerTenant; i++)
        {
            _queue.Enqueue(i, random.NextInt64());
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Decisions)]
    public long PriorityQueueEnqueueDequeue()
    {
        long sum = 0;
        var key = _next;
        for (var i = 0; i < Decisions; i++)
        {
            key = (key * 6364136223846793005) + 1442695040888963407;
            _queue.Enqueue(i, key);
            sum += _queue.Dequeue();
        }

        _next = key;
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Decisions)]
    public long FairShareDecisions() => FairShareDecisions(out _);

    /// <summary>The full cycle; <paramref name="leaseTicks"/> is the part of it spent in LeaseJobs alone.</summary>
    private long FairShareDecisions(out long leaseTicks)
    {
        long sum = 0;
        leaseTicks = 0;
        for (var done = 0; done < Decisions; done += Batch)
        {
            _now = _now.AddMilliseconds(1);
            var started = Stopwatch.GetTimestamp();
            var leases = _scheduler.LeaseJobs("worker", s_workerFree, TimeSpan.FromMinutes(1), _now, Batch);
            leaseTicks += Stopwatch.GetTimestamp() - started;
            foreach (var lease in leases)
            {
                _scheduler.Complete(lease.JobId, true, null, _now);
                _scheduler.Submit(new SubmitJobRequest(lease.Tenant, s_demand, (int)(_next % 7), "k" + _next++), _now);
                sum += lease.JobId.Value;
            }
        }

        return sum;
    }

    private static void Quick()
    {
        var bench = new SchedulingThroughput();
        var setup = Stopwatch.StartNew();
        bench.Setup();
        Console.WriteLine($"setup: {TenantCount:N0} tenants, {bench._scheduler.QueuedJobs:N0} queued jobs in {setup.Elapsed.TotalSeconds:F1} s");
        bench.PriorityQueueEnqueueDequeue();
        bench.FairShareDecisions();
        var floor = new OrderingFloor(TenantCount, JobsPerTenant, seed: 42);
        floor.Run(Decisions);
        var baseline = Measure(() => bench.PriorityQueueEnqueueDequeue());
        var floorRate = Measure(() => floor.Run(Decisions));
        var pause = GC.GetTotalPauseDuration();
        var allocated = GC.GetTotalAllocatedBytes();
        var gen1 = GC.CollectionCount(1);
        var sw = Stopwatch.StartNew();
        long leaseTicks = 0;
        var fair = Measure(() =>
        {
            var sum = bench.FairShareDecisions(out var ticks);
            leaseTicks += ticks;
            return sum;
        });
        var decisions = fair * sw.Elapsed.TotalSeconds;
        var dispatchOnly = decisions / (leaseTicks / (double)Stopwatch.Frequency);
        Console.WriteLine($"PriorityQueue enqueue+dequeue: {baseline:N0}/s");
        Console.WriteLine($"fair-share decisions:          {fair:N0}/s ({fair / baseline:F2}x baseline)");
        Console.WriteLine($"  of which LeaseJobs alone:    {dispatchOnly:N0}/s ({dispatchOnly / baseline:F2}x baseline; the choice in fair order and its accounting, without completion and resubmission)");
        Console.WriteLine(
            $"  GC during fair-share: {(GC.GetTotalPauseDuration() - pause).TotalSeconds / sw.Elapsed.TotalSeconds:P0} of the time paused, " +
            $"{GC.CollectionCount(1) - gen1} gen-1+ collections, {(GC.GetTotalAllocatedBytes() - allocated) / decisions:N0} B allocated per decision");
        Console.WriteLine($"ordering floor (order only):   {floorRate:N0}/s ({floorRate / baseline:F2}x baseline; see OrderingFloor: no job records, keys, index or results)");
    }

    private static double Measure(Func<long> run)
    {
        var sw = Stopwatch.StartNew();
        var rounds = 0;
        while (sw.Elapsed < TimeSpan.FromSeconds(3))
        {
            run();
            rounds++;
        }

        return rounds * (double)Decisions / sw.Elapsed.TotalSeconds;
    }
}
