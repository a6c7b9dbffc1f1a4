using Grains;
using Grains.Testing;
using Quotas.Core.Tenants;
using Quotas.Grains.Tenants;

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

    /// <summary>
    /// A tenant whose leases ran out while it was out of memory activates while storage refuses writes: it answers
    /// what memory answers (a rate check), and writes the expiry once storage is back. Its activation failed before, and
    /// every call with it, while the design answers rate checks from memory.
    /// </summary>
    [Fact]
    public async Task A_tenant_whose_leases_ran_out_while_it_was_away_activates_while_storage_refuses_writes()
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults, time);
        var tenant = cluster.GrainFactory.GetGrain<Contracts.ITenantGrain>("away");
        await tenant.Create(TenantConfig.Create(
            "away",
            Tier.Basic,
            QuotaDefinition.Gauge("workers", QuotaLimit.Hard(5)),
            QuotaDefinition.SlidingWindow("requests", QuotaLimit.Hard(100), TimeSpan.FromMinutes(1), 10)));
        Assert.True((await tenant.Acquire("workers", 5, TimeSpan.FromMinutes(1), null)).IsAllowed);
        await cluster.PrimarySilo.Silo.DeactivateAsync(GrainId.Create(TenantGrain.GrainTypeName, "away"));

        time.Advance(TimeSpan.FromMinutes(2));
        faults.FailWritesOf = "tenant";

        Assert.True((await tenant.HitRate("requests", 1)).Decision.Allowed);
        faults.FailWritesOf = null;
        Assert.True((await tenant.Acquire("workers", 5, TimeSpan.FromMinutes(1), null)).IsAllowed);
    }
}
