using System.Diagnostics;
using Quotas.Core.Scheduling;

namespace Quotas.Benchmarks.Scheduling;

/// <summary>
/// `-- reclaim-pressure`: what a pool's calls cost while a large reclaim is pending, in the pure logic. A pool of
/// 10,000 workers is full of a borrower's 10,000 one-worker jobs (100 workers holding 100 each); a tenant guaranteed
/// 5,000 workers has 20,000 jobs queued, so 5,000 of the borrower's jobs are marked (those of workers w50 to w99, the
/// youngest leases) and wait for their workers to stop them. The pool asks a quota check, as the grain's does.
/// Measured, each on a pool of its own: a heartbeat of a worker whose 100 jobs are not marked; a lease asked by a
/// worker the full pool gives nothing; and a third tenant's submission and cancellation followed by such a heartbeat,
/// so that every heartbeat follows a change. Baseline in the same run: the same calls on the same pool with nothing to
/// reclaim (the guaranteed tenant has nothing queued).
/// </summary>
internal static class ReclaimPressure
{
    private const int Workers = 100;
    private const int JobsPerWorker = 100;
    private static readonly TimeSpan s_measured = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan s_ttl = TimeSpan.FromHours(1);
    private static readonly TenantId s_borrower = new("borrower");
    private static readonly TenantId s_guaranteed = new("guaranteed");
    private static readonly TenantId s_other = new("other");
    private static readonly ResourceVector s_oneWorker = ResourceVector.Of(("workers", 1));

    public static void Run(TextWriter report)
    {
        foreach (var (name, call) in new (string, Func<Pool, Action>)[]
        {
            ("heartbeat of 100 unmarked jobs", pool => pool.HeartbeatUnmarked),
            ("lease from a full pool", pool => pool.LeaseNothing),
            ("submit and cancel, then a heartbeat", pool => pool.ChangeThenHeartbeat),
        })
        {
            var baseline = Measure(call(new Pool(queueForGuaranteed: false)));
            var pressed = new Pool(queueForGuaranteed: true);
            var measured = Measure(call(pressed));
            report.WriteLine($"{name}: {measured:N0}/s with {pressed.Marked:N0} jobs marked, {baseline:N0}/s with none ({measured / baseline:F2}x)");
        }
    }

    private static double Measure(Action call)
    {
        call(); // the first call settles what setting the pool up left to do
        var watch = Stopwatch.StartNew();
        var calls = 0;
        while (watch.Elapsed < s_measured)
        {
            call();
            calls++;
        }

        return calls / watch.Elapsed.TotalSeconds;
    }

    private sealed class Pool
    {
        private readonly FairShareScheduler _scheduler;
        private readonly List<JobId>[] _held = new List<JobId>[Workers];
        private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        private int _nextWorker;
        private long _nextKey;

        public Pool(bool queueForGuaranteed)
        {
            _scheduler = new FairShareScheduler(
                new PoolConfig
                {
                    Id = "reclaim",
                    Capacity = ResourceVector.Of(("workers", Workers * JobsPerWorker)),
                    Tenants =
                    [
                        new TenantShare(s_borrower),
                        new TenantShare(s_guaranteed, Guaranteed: ResourceVector.Of(("workers", Workers * JobsPerWorker / 2))),
                        new TenantShare(s_other),
                    ],
                    MaxQueuedJobsPerTenant = 50_000,
                    MaxQueuedJobsPerPool = 100_000,
                },
                quotaCheck: (_, _) => true);
            for (var i = 0; i < Workers * JobsPerWorker; i++)
            {
                _scheduler.Submit(new SubmitJobRequest(s_borrower, s_oneWorker, 0, $"b{i}"), _now);
            }

            for (var w = 0; w < Workers; w++)
            {
                _now = _now.AddMilliseconds(1);
                _held[w] = _scheduler.LeaseJobs($"w{w}", ResourceVector.Of(("workers", JobsPerWorker)), s_ttl, _now).Select(l => l.JobId).ToList();
            }

            for (var i = 0; queueForGuaranteed && i < 4 * Workers * JobsPerWorker / 2; i++)
            {
                _scheduler.Submit(new SubmitJobRequest(s_guaranteed, s_oneWorker, 0, $"g{i}"), _now);
            }
        }

        public int Marked => _held.Sum(jobs => jobs.Count(id => _scheduler.Get(id)!.PreemptionRequested));

        /// <summary>A heartbeat of one of workers w0 to w49, whose jobs, the oldest leases, are never marked.</summary>
        public void HeartbeatUnmarked()
        {
            var worker = _nextWorker++ % (Workers / 2);
            _now = _now.AddMilliseconds(1);
            _scheduler.Heartbeat($"w{worker}", _held[worker], s_ttl, _now);
        }

        public void LeaseNothing()
        {
            _now = _now.AddMilliseconds(1);
            _scheduler.LeaseJobs("idle", s_oneWorker, s_ttl, _now);
        }

        public void ChangeThenHeartbeat()
        {
            _now = _now.AddMilliseconds(1);
            var job = _scheduler.Submit(new SubmitJobRequest(s_other, s_oneWorker, 0, $"o{_nextKey++}"), _now).Job;
            _scheduler.Cancel(job.Id, _now);
            HeartbeatUnmarked();
        }
    }
}
