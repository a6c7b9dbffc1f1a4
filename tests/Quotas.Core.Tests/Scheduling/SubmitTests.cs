using Quotas.Core.Scheduling;
using static Quotas.Core.Tests.Scheduling.SchedulingKit;

namespace Quotas.Core.Tests.Scheduling;

public sealed class SubmitTests
{
    private static FairShareScheduler Pool() => new(new PoolConfig
    {
        Id = "pool",
        Capacity = ResourceVector.Of(("cpu_millicores", 4000), ("memory_mb", 8192)),
        MaxQueuedJobsPerTenant = 3,
        MaxQueuedJobsPerPool = 5,
    });

    [Fact]
    public void Retried_submit_returns_the_same_job_even_after_it_ran()
    {
        var s = Pool();
        var request = new SubmitJobRequest(Id("t"), ResourceVector.Of(("cpu_millicores", 100)), 1, "order-42");

        var first = s.Submit(request, T0);
        s.Lease(s.Config.Capacity);
        var retry = s.Submit(request with { }, T0.AddSeconds(5));

        Assert.True(first.Created);
        Assert.False(retry.Created);
        Assert.Equal(first.Job.Id, retry.Job.Id);
        Assert.Equal(JobState.Leased, retry.Job.State);
        Assert.Equal(0, s.QueuedJobs);
    }

    [Fact]
    public void Retried_submit_returns_the_same_job_even_when_capacity_shrank_below_its_demand()
    {
        var s = new FairShareScheduler(WorkerPool(4));
        var request = new SubmitJobRequest(Id("t"), Workers(4), 0, "order-42");
        var first = s.Submit(request, T0);
        s.UpdateCapacity(Workers(2), T0.AddSeconds(1));

        var retry = s.Submit(request, T0.AddSeconds(2));

        Assert.False(retry.Created);
        Assert.Equal(first.Job.Id, retry.Job.Id);
        var changed = Assert.Throws<SchedulingException>(() => s.Submit(request with { Demand = Workers(3) }, T0.AddSeconds(2)));
        Assert.Equal(SchedulingErrorCodes.IdempotencyConflict, changed.Code);
        var fresh = Assert.Throws<SchedulingException>(() => s.Submit(request with { IdempotencyKey = "order-43" }, T0.AddSeconds(2)));
        Assert.Equal(SchedulingErrorCodes.DemandExceedsCapacity, fresh.Code);
    }

    [Fact]
    public void Same_key_with_a_different_demand_is_a_conflict()
    {
        var s = Pool();
        s.Submit(new SubmitJobRequest(Id("t"), ResourceVector.Of(("cpu_millicores", 100)), 1, "k"), T0);

        var e = Assert.Throws<SchedulingException>(() =>
            s.Submit(new SubmitJobRequest(Id("t"), ResourceVector.Of(("cpu_millicores", 200)), 1, "k"), T0));

        Assert.Equal(SchedulingErrorCodes.IdempotencyConflict, e.Code);
    }

    /// <summary>A retry must be the same request: a different estimated duration under the key is another job.</summary>
    [Fact]
    public void Same_key_with_a_different_estimated_duration_is_a_conflict()
    {
        var s = Pool();
        var request = new SubmitJobRequest(Id("t"), ResourceVector.Of(("cpu_millicores", 100)), 1, "k", TimeSpan.FromSeconds(10));
        s.Submit(request, T0);

        Assert.False(s.Submit(request, T0).Created);
        var e = Assert.Throws<SchedulingException>(() => s.Submit(request with { EstimatedDuration = TimeSpan.FromHours(1) }, T0));
        Assert.Equal(SchedulingErrorCodes.IdempotencyConflict, e.Code);
        Assert.Throws<SchedulingException>(() => s.Submit(request with { EstimatedDuration = null }, T0));
    }

    /// <summary>
    /// Priorities are bounded, so that aging brings every waiting job to the front in bounded time: a job of priority
    /// -10,000 overtakes a newer one of 10,000 once it has waited 20,000 points' worth (here, aging one point a second).
    /// </summary>
    [Fact]
    public void Priorities_are_bounded_so_aging_brings_the_lowest_to_the_front()
    {
        var s = new FairShareScheduler(WorkerPool(1) with { AgingPerSecond = 1 });
        foreach (var priority in new[] { int.MaxValue, FairShareScheduler.MaxPriority + 1, FairShareScheduler.MinPriority - 1, int.MinValue })
        {
            var e = Assert.Throws<SchedulingException>(() => s.Submit("t", Workers(1), priority));
            Assert.Equal(SchedulingErrorCodes.InvalidArgument, e.Code);
            Assert.Contains("-10000 to 10000", e.Message);
        }

        // A job stored by a release without the range is still returned to its retry.
        var stored = s.Submit(new SubmitJobRequest(Id("old"), Workers(1), 5, "before-the-range"), T0).Job;
        var snapshot = s.ToSnapshot();
        var restored = FairShareScheduler.FromSnapshot(snapshot with { Jobs = [.. snapshot.Jobs.Select(j => j with { Priority = 50_000 })] });
        var retried = restored.Submit(new SubmitJobRequest(Id("old"), Workers(1), 50_000, "before-the-range"), T0);
        Assert.Equal((stored.Id, false), (retried.Job.Id, retried.Created));
        s.Cancel(stored.Id, T0);

        var low = s.Submit("t", Workers(1), FairShareScheduler.MinPriority, T0);
        s.Submit("t", Workers(1), FairShareScheduler.MaxPriority, T0.AddSeconds(20_001));

        Assert.Equal(low.Id, Assert.Single(s.Lease(Workers(1), T0.AddSeconds(20_001))).JobId);
    }

    public static TheoryData<string, string> BadRequests => new()
    {
        { "too_big", SchedulingErrorCodes.DemandExceedsCapacity },
        { "zero", SchedulingErrorCodes.DemandEmpty },
        { "negative", SchedulingErrorCodes.DemandNegative },
        { "unknown", SchedulingErrorCodes.UnknownResource },
        { "no_key", SchedulingErrorCodes.InvalidArgument },
        { "tenant_full", SchedulingErrorCodes.TenantQueueFull },
        { "pool_full", SchedulingErrorCodes.PoolQueueFull },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public void Bad_request_is_refused_with_its_code_and_leaves_state_unchanged(string kind, string code)
    {
        var s = Pool();
        for (var i = 0; i < 3; i++)
        {
            s.Submit("full", ResourceVector.Of(("cpu_millicores", 1)));
        }

        s.Submit("other", ResourceVector.Of(("cpu_millicores", 1)));
        if (kind == "pool_full")
        {
            s.Submit("other", ResourceVector.Of(("cpu_millicores", 1)));
        }

        var before = s.Json();
        var request = kind switch
        {
            "too_big" => Request("t", ("cpu_millicores", 4001)),
            "zero" => Request("t", ("cpu_millicores", 0)),
            "negative" => Request("t", ("cpu_millicores", 10), ("memory_mb", -1)),
            "unknown" => Request("t", ("gpus", 1)),
            "no_key" => Request("t", ("cpu_millicores", 1)) with { IdempotencyKey = "" },
            "tenant_full" => Request("full", ("cpu_millicores", 1)),
            _ => Request("new", ("cpu_millicores", 1)),
        };

        var e = Assert.Throws<SchedulingException>(() => s.Submit(request, T0));

        Assert.Equal(code, e.Code);
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
        Assert.Equal(before, s.Json());

        static SubmitJobRequest Request(string tenant, params (string, long)[] demand) =>
            new(Id(tenant), ResourceVector.Of(demand), 0, "fresh-key");
    }

    [Fact]
    public void Demand_above_capacity_says_which_resource_and_what_to_do()
    {
        var e = Assert.Throws<SchedulingException>(() => Pool().Submit("t", ResourceVector.Of(("memory_mb", 9000))));

        Assert.Contains("memory_mb=9000", e.Message, StringComparison.Ordinal);
        Assert.Contains("8192", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Demand_only_the_reserve_could_hold_is_refused_unless_the_tenant_is_guaranteed_it()
    {
        var s = new FairShareScheduler(WorkerPool(10, Guarantee("g", 8)) with { Reserve = Workers(5) });
        var before = s.Json();

        var e = Assert.Throws<SchedulingException>(() => s.Submit("b", Workers(6)));
        var unchanged = s.Json();
        s.Submit("b", Workers(5));
        var guaranteed = s.Submit("g", Workers(8));

        Assert.Equal(SchedulingErrorCodes.DemandExceedsCapacity, e.Code);
        Assert.Contains("workers=6", e.Message, StringComparison.Ordinal);
        Assert.Contains("reserve 5", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, unchanged);
        Assert.Equal(guaranteed.Id, Assert.Single(s.Lease(Workers(8), T0.AddSeconds(1), max: 1)).JobId);
    }

    [Fact]
    public void Invalid_names_are_refused_where_they_are_made()
    {
        Assert.Equal(SchedulingErrorCodes.InvalidResourceName, Assert.Throws<SchedulingException>(() => ResourceVector.Of(("CPU", 1))).Code);
        Assert.Equal(SchedulingErrorCodes.InvalidResourceName, Assert.Throws<SchedulingException>(() => ResourceVector.Of(("cpu", 1), ("cpu", 2))).Code);
        Assert.Equal(SchedulingErrorCodes.InvalidTenantId, Assert.Throws<SchedulingException>(() => new TenantId("-bad")).Code);
    }

    [Fact]
    public void Jobs_page_per_tenant_in_submission_order()
    {
        var s = new FairShareScheduler(WorkerPool(1) with { MaxQueuedJobsPerTenant = 100 });
        var ids = Enumerable.Range(0, 25).Select(_ => s.Submit("t", Workers(1)).Id).ToList();
        s.Submit("other", Workers(1));

        var seen = new List<JobId>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = s.List(Id("t"), 10, cursor);
            seen.AddRange(page.Jobs.Select(j => j.Id));
            cursor = page.NextCursor;
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(ids, seen);
        Assert.Equal(3, pages);
        Assert.Equal(SchedulingErrorCodes.InvalidCursor, Assert.Throws<SchedulingException>(() => s.List(Id("t"), 10, "x")).Code);
    }
}
