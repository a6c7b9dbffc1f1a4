using System.Text.Json;
using Quotas.Core.Scheduling;
using static Quotas.Core.Tests.Scheduling.SchedulingKit;

namespace Quotas.Core.Tests.Scheduling;

/// <summary>
/// A store that only ever applies <see cref="FairShareScheduler.TakeChanges"/> must end equal to the whole snapshot,
/// whatever the operations and wherever the changes are taken; and after every operation the pool's accounting must add
/// up (what the pool counts as allocated is what its tenants hold, which is what their leased jobs demand).
/// </summary>
public sealed class ChangeTrackingTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Applying_every_change_set_rebuilds_the_whole_snapshot(int seed)
    {
        var random = new Random(seed);
        var config = WorkerPool(12, Guarantee("a", 4), Guarantee("b", 4, weight: 2), new TenantShare(Id("d"), ResourceWeights: new Dictionary<string, double> { ["workers"] = 3 })) with
        {
            Tiers = [new TierShare("premium", 2), new TierShare("basic", BorrowingLimit: Workers(6))],
            MaxFinishedJobs = 7,
            MaxAttempts = 2,
            HistoryBlend = 0.3,
            HoldCapacityAfter = TimeSpan.FromSeconds(seed),
        };
        var s = new FairShareScheduler(config, trackChanges: true);
        var store = new Store();
        var now = T0;
        var tenants = new[] { "a", "b", "c", "d" };
        for (var step = 0; step < 600; step++)
        {
            now = now.AddSeconds(random.Next(0, 4));
            var known = s.ToSnapshot().Jobs;
            var pick = known.Count > 0 ? known[random.Next(known.Count)] : null;
            var any = pick?.Id ?? new JobId(1);
            switch (random.Next(11))
            {
                case < 3:
                    s.Submit(tenants[random.Next(tenants.Length)], Workers(random.Next(1, 6)), random.Next(3), now);
                    break;
                case 3:
                case 4:
                    s.Lease(Workers(random.Next(1, 6)), now, worker: $"w{random.Next(2)}");
                    break;
                case 5:
                    s.Complete(any, (JobOutcome)random.Next(3), random.Next(2) == 0 ? null : Workers(random.Next(0, 3)), now);
                    break;
                case 6:
                    s.Heartbeat($"w{random.Next(2)}", known.Select(j => j.Id), TimeSpan.FromSeconds(random.Next(1, 20)), now);
                    break;
                case 7:
                    s.ExpireLeases(now);
                    break;
                case 8:
                    s.Cancel(any, now);
                    break;
                case 9:
                    // A tenant's refusal to renew a running job's leases, for the lease it has now or an earlier one.
                    var running = known.Where(j => j.State == JobState.Leased).ToList();
                    if (running.Count > 0)
                    {
                        var job = running[random.Next(running.Count)];
                        s.PreemptForTenantQuota(job.WorkerId!, job.Id, job.Attempts - random.Next(2));
                    }

                    break;
                default:
                    if (random.Next(5) == 0)
                    {
                        Refusable(() => s.UpdateCapacity(Workers(random.Next(6, 16)), now));
                    }
                    else if (random.Next(3) == 0)
                    {
                        s.SetTenantTier(Id(tenants[random.Next(tenants.Length)]), new[] { null, "basic", "premium", "enterprise" }[random.Next(4)], now);
                    }
                    else
                    {
                        Refusable(() => s.SetTenant(Guarantee(tenants[random.Next(3)], random.Next(0, 5), weight: random.Next(1, 4)), now));
                    }

                    break;
            }

            if (random.Next(4) == 0)
            {
                store.Apply(s.TakeChanges());
            }

            AssertAccountingAddsUp(s, tenants, step);
        }

        store.Apply(s.TakeChanges());

        var whole = s.ToSnapshot();
        Assert.Equal(Json(whole.Pool), Json(store.Pool));
        Assert.Equal(whole.NextJobId, store.NextJobId);
        Assert.Equal(whole.Jobs.Select(Json), store.Jobs.Values.OrderBy(j => j.Id.Value).Select(Json));
        Assert.Equal(whole.Usage.OrderBy(u => u.Tenant.Value).Select(Json), store.Usage.Values.OrderBy(u => u.Tenant.Value).Select(Json));
        Assert.Equal(whole.UndeliveredPreemptions.Select(id => id.Value).Order(), store.Undelivered.Order());
        Assert.True(store.ForgottenCount > 0, "the run should forget finished jobs, so that reused job records are covered");
    }

    private static void AssertAccountingAddsUp(FairShareScheduler s, string[] tenants, int step)
    {
        var leased = s.ToSnapshot().Jobs.Where(j => j.State == JobState.Leased).ToList();
        var byTenants = tenants.Sum(t => s.GetTenantUsage(Id(t)).Allocated["workers"]);
        Assert.True(s.Allocated["workers"] == byTenants, $"step {step}: the pool counts {s.Allocated["workers"]} allocated, its tenants {byTenants}");
        Assert.True(byTenants == leased.Sum(j => j.Demand["workers"]), $"step {step}: tenants hold {byTenants}, leased jobs demand {leased.Sum(j => j.Demand["workers"])}");
        Assert.True(s.LeasedJobs == leased.Count, $"step {step}: {s.LeasedJobs} leased by count, {leased.Count} by state");
        Assert.True(s.Allocated["workers"] <= 16, $"step {step}: {s.Allocated["workers"]} allocated exceeds the largest capacity");
    }

    [Fact]
    public void A_new_pool_reports_its_configuration_and_a_restored_one_reports_nothing()
    {
        var s = new FairShareScheduler(WorkerPool(4), trackChanges: true);
        s.Submit("a", Workers(1));

        var first = s.TakeChanges();
        var restored = FairShareScheduler.FromSnapshot(s.ToSnapshot(), trackChanges: true);

        Assert.True(first.PoolChanged);
        Assert.Single(first.Jobs);
        var none = restored.TakeChanges();
        Assert.False(none.PoolChanged);
        Assert.Empty(none.Jobs);
        Assert.Empty(none.Usage);
        Assert.Empty(none.Forgotten);
        Assert.Equal(s.ToSnapshot().NextJobId, none.NextJobId);
    }

    [Fact]
    public void A_job_changed_many_times_is_reported_once_as_it_is_now()
    {
        var s = new FairShareScheduler(WorkerPool(4), trackChanges: true);
        var job = s.Submit("a", Workers(1));
        s.TakeChanges();

        var lease = Assert.Single(s.Lease(Workers(1)));
        s.Heartbeat("w1", [lease.JobId], Ttl, T0.AddSeconds(5));
        s.Complete(lease.JobId, true, null, T0.AddSeconds(9));
        var changes = s.TakeChanges();

        var reported = Assert.Single(changes.Jobs);
        Assert.Equal(job.Id, reported.Id);
        Assert.Equal(JobState.Succeeded, reported.State);
        Assert.Equal("a", Assert.Single(changes.Usage).Tenant.Value);
        Assert.Empty(s.TakeChanges().Jobs);
    }

    [Fact]
    public void A_mark_taken_back_is_reported_and_one_made_again_unchanged_is_not()
    {
        var s = new FairShareScheduler(WorkerPool(4), trackChanges: true);
        for (var i = 0; i < 4; i++)
        {
            s.Submit("a", Workers(1));
        }

        s.Lease(Workers(4));
        s.TakeChanges();

        s.UpdateCapacity(Workers(2), T0);
        var marked = s.TakeChanges().Jobs;
        Assert.Equal(2, marked.Count);
        Assert.All(marked, j => Assert.True(j.PreemptionRequested));

        // Re-evaluated with nothing changed, the same jobs are marked again: nothing to store.
        s.UpdateCapacity(Workers(2), T0);
        Assert.Empty(s.TakeChanges().Jobs);

        s.UpdateCapacity(Workers(4), T0);
        var unmarked = s.TakeChanges().Jobs;
        Assert.Equal(marked.Select(j => j.Id), unmarked.Select(j => j.Id));
        Assert.All(unmarked, j => Assert.False(j.PreemptionRequested));
    }

    [Fact]
    public void A_scheduler_made_without_tracking_keeps_no_changes_and_says_so_when_asked()
    {
        var s = new FairShareScheduler(WorkerPool(4));
        s.Submit("a", Workers(1));

        var error = Assert.Throws<InvalidOperationException>(() => s.TakeChanges());

        Assert.Contains("trackChanges", error.Message);
    }

    private static string Json<T>(T value) => JsonSerializer.Serialize(value);

    /// <summary>Runs a configuration change that the guarantees may refuse; a refused change must leave nothing to store.</summary>
    private static void Refusable(Action change)
    {
        try
        {
            change();
        }
        catch (SchedulingException e) when (e.Code == SchedulingErrorCodes.InvalidPoolConfig)
        {
        }
    }

    private sealed class Store
    {
        public PoolConfig? Pool { get; private set; }

        public long NextJobId { get; private set; }

        public Dictionary<long, JobInfo> Jobs { get; } = [];

        public Dictionary<TenantId, TenantUsageSnapshot> Usage { get; } = [];

        public int ForgottenCount { get; private set; }

        /// <summary>Ids of the stored jobs whose mark no worker has been told of, as the change sets say.</summary>
        public HashSet<long> Undelivered { get; } = [];

        public void Apply(SchedulerChanges changes)
        {
            if (changes.PoolChanged)
            {
                Pool = changes.Pool;
            }

            NextJobId = changes.NextJobId;
            var undelivered = (changes.UndeliveredPreemptions ?? []).Select(id => id.Value).ToHashSet();
            foreach (var job in changes.Jobs)
            {
                Jobs[job.Id.Value] = job;
                if (undelivered.Contains(job.Id.Value))
                {
                    Undelivered.Add(job.Id.Value);
                }
                else
                {
                    Undelivered.Remove(job.Id.Value);
                }
            }

            foreach (var id in changes.Forgotten)
            {
                Jobs.Remove(id.Value);
                Undelivered.Remove(id.Value);
                ForgottenCount++;
            }

            foreach (var usage in changes.Usage)
            {
                Usage[usage.Tenant] = usage;
            }
        }
    }
}
