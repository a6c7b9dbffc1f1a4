using Grains;
using Grains.Testing;
using Quotas.Contracts;
using Quotas.Core.Scheduling;
using Quotas.Grains.Scheduling;

namespace Quotas.Grains.Tests.Scheduling;

/// <summary>What the pool holds with tenants when memory goes back to storage after a failed write.</summary>
public sealed class TenantAdmissionRestoreTests
{
    private static readonly TenantId s_alpha = new("alpha");

    [Fact]
    public void Leases_set_apart_for_release_stay_so_unless_storage_still_holds_them_for_a_running_job()
    {
        var admission = new TenantAdmission(null!, "pool", new ManualTimeProvider());
        var expiring = new JobLease(new JobId(1), s_alpha, ResourceVector.Of(("workers", 1)), 0, DateTimeOffset.UnixEpoch, 1);
        var ended = expiring with { JobId = new JobId(2) };
        admission.Hold(expiring, ["job/pool/1/1/workers", "job/pool/1/1/concurrent_jobs"]);
        admission.Hold(ended, ["job/pool/2/1/workers"]);
        var stored = admission.Snapshot();

        // The sweep ends job 1's lease and job 2's, and the write that stores it fails: storage still holds job 1's
        // leases for it (it runs again as stored), and job 2's ended before (its release failed earlier, say).
        admission.ReleaseLater(expiring.JobId, s_alpha);
        admission.ReleaseLater(ended.JobId, s_alpha);
        stored.Remove(2);
        admission.Restore(stored);

        Assert.Equal([2L], admission.SetApart.Jobs);
        Assert.True(admission.HoldsExactly(expiring.JobId, ["job/pool/1/1/workers", "job/pool/1/1/concurrent_jobs"]));
    }

    /// <summary>
    /// A lease set apart for release and then held for the job again (a tenant answers a repeated acquisition with the
    /// lease it gave) is no longer set apart: the sweep released it under the running job.
    /// </summary>
    [Fact]
    public void A_lease_held_again_is_no_longer_set_apart_for_release()
    {
        var admission = new TenantAdmission(null!, "pool", new ManualTimeProvider());
        var lease = new JobLease(new JobId(1), s_alpha, ResourceVector.Of(("workers", 1)), 0, DateTimeOffset.UnixEpoch, 1);
        admission.Hold(lease, ["job/pool/1/1/workers", "job/pool/1/1/concurrent_jobs"]);
        admission.ReleaseLater(lease.JobId, s_alpha);

        admission.Hold(lease, ["job/pool/1/1/workers"]);

        Assert.True(admission.SetApart.TryGet(1, out var left));
        Assert.Equal(["job/pool/1/1/concurrent_jobs"], left.LeaseIds);
        Assert.True(admission.HoldsExactly(lease.JobId, ["job/pool/1/1/workers"]));
    }

    [Fact]
    public void Leases_stored_as_left_to_release_join_memory_and_only_what_storage_lacks_is_written_again()
    {
        var admission = new TenantAdmission(null!, "pool", new ManualTimeProvider());
        var lease = new JobLease(new JobId(1), s_alpha, ResourceVector.Of(("workers", 1)), 0, DateTimeOffset.UnixEpoch, 1);
        admission.Hold(lease, ["alpha:1"]);
        admission.Hold(lease with { JobId = new JobId(2) }, ["alpha:2"]);

        // Job 1's lease ended and that is stored; job 2's ended since, and the write that would store it failed.
        admission.ReleaseLater(lease.JobId, s_alpha);
        var stored = admission.SetApart.Snapshot();
        admission.ReleaseLater(new JobId(2), s_alpha);
        admission.Restore(new Dictionary<long, List<string>>(), stored);

        Assert.Equal([1L, 2L], admission.SetApart.Jobs.Order());
        var written = Assert.Single(admission.SetApart.TakeChanges());
        Assert.Equal(2, written.Job);
        Assert.Equal(["alpha:2"], written.Left!.LeaseIds);

        // A fresh activation knows only what is stored.
        var activated = new TenantAdmission(null!, "pool", new ManualTimeProvider());
        activated.Restore(new Dictionary<long, List<string>>(), stored);
        Assert.Equal([1L], activated.SetApart.Jobs);
        Assert.Empty(activated.SetApart.TakeChanges());
    }

    [Fact]
    public async Task Leases_storage_still_holds_for_a_running_job_are_not_released_though_memory_set_them_apart()
    {
        // The write that ends job 1's lease has not been stored: were it to fail, the job would run on them again.
        var admission = new TenantAdmission(null!, "pool", new ManualTimeProvider(), job => job == 1 ? ["alpha:1"] : []);
        var lease = new JobLease(new JobId(1), s_alpha, ResourceVector.Of(("workers", 1)), 0, DateTimeOffset.UnixEpoch, 1);
        admission.Hold(lease, ["alpha:1"]);
        admission.ReleaseLater(lease.JobId, s_alpha);

        await admission.RetryReleasesAsync(lease.JobId); // no tenant is asked (there is none to ask here)

        Assert.Equal([1L], admission.SetApart.Jobs);
    }

    [Fact]
    public async Task Leases_set_apart_stay_so_while_their_release_runs_and_after_it_fails()
    {
        var releasing = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var tenants = new ScriptedTenants(ScriptedGrain.Create<ITenantGrain>((method, _) =>
            method.Name == nameof(ITenantGrain.Release) ? releasing.Task : throw ScriptedGrain.NotScripted(method)));
        var admission = new TenantAdmission(tenants, "pool", new ManualTimeProvider());
        var lease = new JobLease(new JobId(1), s_alpha, ResourceVector.Of(("workers", 1)), 0, DateTimeOffset.UnixEpoch, 1);
        admission.Hold(lease, ["alpha:1"]);
        admission.ReleaseLater(lease.JobId, s_alpha);
        admission.SetApart.TakeChanges(); // stored

        // A write made while the release runs stores nothing new for the job: its entry stays.
        var retry = admission.RetryReleasesAsync(lease.JobId);
        Assert.Empty(admission.SetApart.TakeChanges());

        releasing.SetException(new TimeoutException("The tenant did not answer (a failure the test set)."));
        await Assert.ThrowsAsync<TimeoutException>(() => retry);
        Assert.Equal([1L], admission.SetApart.Jobs);
        Assert.Empty(admission.SetApart.TakeChanges());
    }

    private sealed class ScriptedTenants(ITenantGrain tenant) : IGrainFactory
    {
        public T GetGrain<T>(string primaryKey)
            where T : IGrainWithStringKey => (T)tenant;

        public T GetGrain<T>(Guid primaryKey)
            where T : IGrainWithGuidKey => throw new NotSupportedException();

        public T GetGrain<T>(long primaryKey)
            where T : IGrainWithIntegerKey => throw new NotSupportedException();
    }
}
