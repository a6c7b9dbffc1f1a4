using Grains.Testing;
using Quotas.Core.Tenants;

namespace Quotas.Grains.Tests.Tenants;

public sealed class TenantDurabilityTests
{
    public static TheoryData<string> Databases => ["sqlite", "postgresql"];

    [Theory]
    [MemberData(nameof(Databases))]
    public async Task Leases_granted_before_the_silo_is_killed_are_still_held_after_it_restarts(string database)
    {
        var storage = database == "sqlite" ? TestStorage.Sqlite() : TestStorage.PostgreSql();
        var options = QuotaClusters.Options(storage);
        AdmissionDecision.Allow granted;
        await using (var first = await TestCluster.StartAsync(options))
        {
            var tenant = await Tenants.CreateAsync(first.GrainFactory, "crash", workers: 5);
            granted = Assert.IsType<AdmissionDecision.Allow>(await tenant.Acquire("workers", 3, TimeSpan.FromHours(1), "job-1"));
            await first.PrimarySilo.Silo.KillAsync();
        }

        await using var second = await TestCluster.StartAsync(options);
        var reopened = second.GrainFactory.GetGrain<Contracts.ITenantGrain>("crash");
        var retried = Assert.IsType<AdmissionDecision.Allow>(await reopened.Acquire("workers", 3, TimeSpan.FromHours(1), "job-1"));
        var more = await reopened.Acquire("workers", 3, TimeSpan.FromHours(1), "job-2");

        Assert.Equal(granted.LeaseId, retried.LeaseId);
        Assert.False(more.IsAllowed);
        Assert.Equal(3, Tenants.Used(await reopened.GetStats(), "workers"));
    }
}
