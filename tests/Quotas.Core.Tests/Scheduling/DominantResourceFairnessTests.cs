using Quotas.Core.Scheduling;
using static Quotas.Core.Tests.Scheduling.SchedulingKit;

namespace Quotas.Core.Tests.Scheduling;

public sealed class DominantResourceFairnessTests
{
    private static readonly ResourceVector s_a = ResourceVector.Of(("cpu", 1), ("memory_gb", 4));
    private static readonly ResourceVector s_b = ResourceVector.Of(("cpu", 3), ("memory_gb", 1));

    private static FairShareScheduler PaperPool(long cpu, long memory, double weightA, double weightB)
    {
        var s = new FairShareScheduler(new PoolConfig
        {
            Id = "paper",
            Capacity = ResourceVector.Of(("cpu", cpu), ("memory_gb", memory)),
            Tenants = [new TenantShare(Id("a"), weightA), new TenantShare(Id("b"), weightB)],
        });
        for (var i = 0; i < 50; i++)
        {
            s.Submit("a", s_a);
            s.Submit("b", s_b);
        }

        return s;
    }

    [Fact]
    public void Paper_example_gives_a_three_tasks_and_b_two()
    {
        // Ghodsi et al. 2011, section 4: <9 CPU, 18 GB>; A needs <1, 4> (memory-dominant), B <3, 1> (CPU-dominant).
        var s = PaperPool(9, 18, 1, 1);

        var leases = s.Lease(ResourceVector.Of(("cpu", 9), ("memory_gb", 18)));

        Assert.Equal(3, leases.CountFor("a"));
        Assert.Equal(2, leases.CountFor("b"));
        Assert.Equal(2.0 / 3, s.GetTenantUsage(Id("a")).WeightedShare, 9);
        Assert.Equal(2.0 / 3, s.GetTenantUsage(Id("b")).WeightedShare, 9);
    }

    [Fact]
    public void Weighted_paper_example_gives_the_heavier_tenant_more()
    {
        // By hand, weight A=3, B=1: a task adds 4/18/3 = 2/27 to A's key and 3/9/1 = 9/27 to B's.
        // A 2/27, B 9/27, A 4/27, 6/27, 8/27 (A=4: <4,16> + B <3,1> = <7,17>); then A needs memory 21 > 18, B cpu 10 > 9.
        var s = PaperPool(9, 18, 3, 1);

        var leases = s.Lease(ResourceVector.Of(("cpu", 9), ("memory_gb", 18)));

        Assert.Equal(4, leases.CountFor("a"));
        Assert.Equal(1, leases.CountFor("b"));
    }

    [Fact]
    public void A_weight_per_resource_divides_each_share_by_its_own_weight()
    {
        // Weighted DRF as Ghodsi et al. (NSDI 2011) define it, with a weight vector per user: the
        // dominant share is max_j(u_j / w_j), u_j the user's share of resource j. <90 CPU, 180 GB>; A <1, 4>, B <3, 1>.
        // B's CPU weighs 2 (its memory 1), A's resources 1: a task adds 4/180 = 1/45 to A's key and
        // max(3/90/2, 1/180) = 1/60 to B's. Progressive filling equalizes x_A/45 = x_B/60, so x_B = 4x_A/3, until the
        // CPU runs out: x_A + 3x_B = 5x_A = 90, so A runs 18 tasks <18, 72> and B 24 <72, 24>, both at 0.4.
        var s = new FairShareScheduler(new PoolConfig
        {
            Id = "paper",
            Capacity = ResourceVector.Of(("cpu", 90), ("memory_gb", 180)),
            Tenants = [new TenantShare(Id("a")), new TenantShare(Id("b"), ResourceWeights: new Dictionary<string, double> { ["cpu"] = 2 })],
        });
        for (var i = 0; i < 50; i++)
        {
            s.Submit("a", s_a);
            s.Submit("b", s_b);
        }

        var leases = s.Lease(ResourceVector.Of(("cpu", 90), ("memory_gb", 180)));

        Assert.Equal((18, 24), (leases.CountFor("a"), leases.CountFor("b")));
        Assert.Equal(0.4, s.GetTenantUsage(Id("a")).WeightedShare, 9);
        Assert.Equal(0.4, s.GetTenantUsage(Id("b")).WeightedShare, 9);

        // Unweighted, the same pool gives the paper's 3 : 2, scaled: A 30 <30, 120>, B 20 <60, 20>.
        var unweighted = PaperPool(90, 180, 1, 1).Lease(ResourceVector.Of(("cpu", 90), ("memory_gb", 180)));
        Assert.Equal((30, 20), (unweighted.CountFor("a"), unweighted.CountFor("b")));
    }

    [Fact]
    public void A_resource_weight_must_name_a_resource_of_the_pool_and_be_positive()
    {
        PoolConfig Config(string name, double weight) => new()
        {
            Id = "weights",
            Capacity = ResourceVector.Of(("cpu", 90)),
            Tenants = [new TenantShare(Id("a"), ResourceWeights: new Dictionary<string, double> { [name] = weight })],
        };

        Assert.Contains("'gpu', which the pool does not offer", Assert.Throws<SchedulingException>(() => new FairShareScheduler(Config("gpu", 1))).Message, StringComparison.Ordinal);
        Assert.Contains("must be a finite number greater than 0", Assert.Throws<SchedulingException>(() => new FairShareScheduler(Config("cpu", 0))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Weighted_larger_pool_follows_progressive_filling()
    {
        // <30, 60>, A weight 2: unweighted gives A 9, B 7; weight 2 on A gives A 13 (<13,52>) and B 5 (<15,5>).
        Assert.Equal((9, 7), Run(PaperPool(30, 60, 1, 1)));
        Assert.Equal((13, 5), Run(PaperPool(30, 60, 2, 1)));

        static (int, int) Run(FairShareScheduler s)
        {
            var leases = s.Lease(ResourceVector.Of(("cpu", 30), ("memory_gb", 60)));
            return (leases.CountFor("a"), leases.CountFor("b"));
        }
    }

    [Fact]
    public void Weights_one_two_three_get_one_two_three_sixths_of_ten_thousand_dispatches()
    {
        var demand = ResourceVector.Of(("cpu_millicores", 100), ("memory_mb", 200));
        var s = new FairShareScheduler(new PoolConfig
        {
            Id = "pool",
            Capacity = ResourceVector.Of(("cpu_millicores", 6000), ("memory_mb", 24000)),
            Tenants = [new TenantShare(Id("t1"), 1), new TenantShare(Id("t2"), 2), new TenantShare(Id("t3"), 3)],
        });
        string[] tenants = ["t1", "t2", "t3"];
        var dispatched = new Dictionary<TenantId, int>();
        var running = new Queue<JobId>();
        var now = T0;

        void TopUp()
        {
            foreach (var t in tenants)
            {
                while (s.GetTenantUsage(Id(t)).QueuedJobs < 40)
                {
                    s.Submit(t, demand, now: now);
                }
            }
        }

        void Record(IEnumerable<JobLease> leases)
        {
            foreach (var lease in leases)
            {
                dispatched[lease.Tenant] = dispatched.GetValueOrDefault(lease.Tenant) + 1;
                running.Enqueue(lease.JobId);
            }
        }

        TopUp();
        Record(s.Lease(s.Config.Capacity, now));
        Assert.Equal(60, running.Count);
        var total = running.Count;
        while (total < 10_000)
        {
            now += TimeSpan.FromSeconds(1);
            Assert.Equal(CompletionStatus.Completed, s.Complete(running.Dequeue(), true, null, now).Status);
            TopUp();
            var leases = s.Lease(demand, now);
            Assert.Single(leases);
            Record(leases);
            total++;
        }

        for (var i = 0; i < tenants.Length; i++)
        {
            var share = dispatched[Id(tenants[i])] / (double)total;
            Assert.InRange(share, ((i + 1) / 6.0) - 0.02, ((i + 1) / 6.0) + 0.02);
        }
    }

    [Fact]
    public void Tenant_whose_next_job_does_not_fit_is_passed_over_for_one_that_fits()
    {
        var s = new FairShareScheduler(WorkerPool(10));
        s.Submit("big", Workers(8));
        s.Lease(Workers(10));
        s.Submit("big", Workers(8));
        s.Submit("small", Workers(1));

        var leases = s.Lease(Workers(10));

        Assert.Equal("small", Assert.Single(leases).Tenant.Value);
    }
}
