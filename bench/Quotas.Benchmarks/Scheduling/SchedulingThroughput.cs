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
/// Baseline: one Dequeue plus one Enqueue per decision on a <see cref="PriorityQueue{TElement, TPriority}"/> holding
/// 1,000,000 items, in the hold model used to measure priority queues at a constant depth: the item taken out (the
/// one with the least key) goes back in with its key plus a random increment, as a job that ran is followed by a
/// new one that waits its turn behind the queue. Every item thus waits through the queue, and each operation works
/// on a heap of 1,000,000 items.
/// </para>
/// <para>
/// The baseline recorded until 2026-12-04 (<see cref="PriorityQueueEnqueueDequeueImmediate"/>, still reported for
/// comparison) enqueued a random long and then dequeued the least. Its new keys came from the whole range of long
/// while the queued ones were positive, so half of them were negative and came straight back out (the quick run
/// counts it: 52 % of its dequeues return the item just enqueued), and the share grows as the least keys leave. Such
/// an item goes up and down one path from the heap's last slot to its root, which stays in the cache: half of the
/// work of a 1,000,000-item queue measured as that of a tiny one.
/// </para>
/// Run: <c>SchedulingThroughput.Run(args)</c>; <c>--quick</c> measures with a stopwatch instead of BenchmarkDotNet,
/// baseline and scheduler alternating for three rounds, and also prints the time spent in LeaseJobs alone,
/// garbage-collector pause time, bytes allocated per decision and the <see cref="OrderingFloor"/> (the same cycle on
/// the bare fair order).
/// </summary>
[MemoryDiagnoser]
public class SchedulingThroughput
{
    public const int TenantCount = 10_000;
    public const int JobsPerTenant = 100;
    public const int Decisions = 65_536;
    private const int Batch = 64;
    private const int Rounds = 3;

    private static readonly DateTimeOffset s_t0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly ResourceVector s_demand = ResourceVector.Of(("cpu_millicores", 100), ("memory_mb", 256), ("workers", 1));
    private static readonly ResourceVector s_workerFree = ResourceVector.Of(("cpu_millicores", 100 * Batch), ("memory_mb", 256 * Batch), ("workers", Batch));

    /// <summary>Keys and increments of the hold model are drawn below this: twice the depth, so keys rarely tie.</summary>
    private const long HoldIncrements = 2L * TenantCount * JobsPerTenant;

    private FairShareScheduler _scheduler = null!;
    private PriorityQueue<int, long> _queue = null!;
    private PriorityQueue<int, long> _immediate = null!;
    private long _holdRandom = 1;
    private long _immediateRandom = 1;
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

        var random = new Random(42);
        _queue = new PriorityQueue<int, long>(TenantCount * JobsPerTenant);
        _immediate = new PriorityQueue<int, long>(TenantCount * JobsPerTenant);
        for (var i = 0; i < TenantCount * JobsPerTenant; i++)
        {
            _queue.Enqueue(i, random.NextInt64(HoldIncrements));
            _immediate.Enqueue(i, random.NextInt64());
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Decisions)]
    public long PriorityQueueHold()
    {
        long sum = 0;
        var random = _holdRandom;
        for (var i = 0; i < Decisions; i++)
        {
            _queue.TryDequeue(out var item, out var key);
            random = (random * 6364136223846793005) + 1442695040888963407;
            _queue.Enqueue(item, key + (long)((ulong)random % HoldIncrements));
            sum += item;
        }

        _holdRandom = random;
        return sum;
    }

    /// <summary>The baseline as measured until 2026-12-04; see the class remarks for why it was replaced.</summary>
    [Benchmark(OperationsPerInvoke = Decisions)]
    public long PriorityQueueEnqueueDequeueImmediate()
    {
        long sum = 0;
        var key = _immediateRandom;
        for (var i = 0; i < Decisions; i++)
        {
            key = (key * 6364136223846793005) + 1442695040888963407;
            _immediate.Enqueue(i, key);
            sum += _immediate.Dequeue();
        }

        _immediateRandom = key;
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
        var immediateShare = bench.ImmediateShare();
        bench.PriorityQueueHold();
        bench.FairShareDecisions();
        var floor = new OrderingFloor(TenantCount, JobsPerTenant, seed: 42);
        floor.Run(Decisions);

        // The baseline and the scheduler alternate, so that a slower or faster spell of a shared machine falls on both.
        var ratios = new List<double>();
        for (var round = 1; round <= Rounds; round++)
        {
            var baseline = Measure(() => bench.PriorityQueueHold());
            var pause = GC.GetTotalPauseDuration();
            var allocated = GC.GetTotalAllocatedBytes();
            var sw = Stopwatch.StartNew();
            long leaseTicks = 0;
            var fair = Measure(() =>
            {
                var sum = bench.FairShareDecisions(out var ticks);
                leaseTicks += ticks;
                return sum;
            });
            var decisions = fair * sw.Elapsed.TotalSeconds;
            var leaseOnly = decisions / (leaseTicks / (double)Stopwatch.Frequency);
            ratios.Add(fair / baseline);
            Console.WriteLine(
                $"round {round}: PriorityQueue hold {baseline:N0}/s, fair-share decisions {fair:N0}/s ({fair / baseline:F2}x); " +
                $"LeaseJobs alone {leaseOnly:N0}/s ({leaseOnly / baseline:F2}x); " +
                $"GC paused {(GC.GetTotalPauseDuration() - pause).TotalSeconds / sw.Elapsed.TotalSeconds:P0}, " +
                $"{(GC.GetTotalAllocatedBytes() - allocated) / decisions:N0} B per decision");
        }

        ratios.Sort();
        Console.WriteLine($"fair-share decisions / PriorityQueue hold, median of {Rounds}: {ratios[Rounds / 2]:F2}x (target 0.25x)");
        var floorRate = Measure(() => floor.Run(Decisions));
        var immediate = Measure(() => bench.PriorityQueueEnqueueDequeueImmediate());
        Console.WriteLine($"ordering floor (order only, see OrderingFloor): {floorRate:N0}/s");
        Console.WriteLine($"the baseline used until 2026-12-04: {immediate:N0}/s; {immediateShare:P0} of its dequeues returned the item just enqueued");
    }

    /// <summary>How often the earlier baseline's Dequeue returns the item its Enqueue has just put in.</summary>
    private double ImmediateShare()
    {
        var same = 0;
        var key = _immediateRandom;
        for (var i = 0; i < Decisions; i++)
        {
            key = (key * 6364136223846793005) + 1442695040888963407;
            _immediate.Enqueue(-1, key);
            same += _immediate.Dequeue() == -1 ? 1 : 0;
        }

        _immediateRandom = key;
        return same / (double)Decisions;
    }

    private static double Measure(Func<long> run)
    {
        var sw = Stopwatch.StartNew();
        var rounds = 0;
        while (sw.Elapsed < TimeSpan.FromSeconds(2))
        {
            run();
            rounds++;
        }

        return rounds * (double)Decisions / sw.Elapsed.TotalSeconds;
    }
}
