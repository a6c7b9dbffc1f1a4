using Grains.Testing;
using Quotas.Contracts;
using Quotas.Contracts.Gateway;
using Quotas.Core.Billing;
using Quotas.Core.Tenants;
using Quotas.Grains.Tenants;

namespace Quotas.Grains.Tests.Tenants;

/// <summary>A tenant's usage rollups and pricing plans are stored with the usage itself: counted once, kept across crashes.</summary>
public sealed class MeteringDurabilityTests
{
    private static readonly DateTimeOffset s_start = new(2026, 12, 5, 10, 30, 0, TimeSpan.Zero);

    private static readonly PricingPlan s_plan = new("standard", "EUR", 10m, [new MeterPrice("cpu_ms", 0.5m, Included: 1000, PerUnits: 100)]);

    public static TheoryData<string> Databases => ["sqlite", "postgresql"];

    [Theory]
    [MemberData(nameof(Databases))]
    public async Task Usage_sent_concurrently_and_retried_counts_once_and_survives_a_killed_silo(string database)
    {
        var storage = database == "sqlite" ? TestStorage.Sqlite() : TestStorage.PostgreSql();
        var time = new ManualTimeProvider(s_start);
        var options = QuotaClusters.Options(storage, time: time);
        await using (var first = await TestCluster.StartAsync(options))
        {
            var tenant = await CreateAsync(first.GrainFactory);
            await tenant.SetPricingPlan(s_plan);

            // 8 callers record 25 events each, every event sent twice at once, as a client retrying a lost answer would.
            await Task.WhenAll(Enumerable.Range(0, 8).Select(caller => Task.Run(async () =>
            {
                for (var i = 0; i < 25; i++)
                {
                    var eventId = $"c{caller}-e{i}";
                    await Task.WhenAll(tenant.RecordUsage(eventId, "cpu_ms", 10), tenant.RecordUsage(eventId, "cpu_ms", 10));
                }
            })));
            await first.PrimarySilo.Silo.KillAsync();
        }

        await using var second = await TestCluster.StartAsync(options);
        var reopened = second.GrainFactory.GetGrain<ITenantGrain>("acme");
        var hours = await reopened.GetUsageHistory(RollupGranularity.Hour, s_start.AddDays(-1), s_start.AddDays(1), null);
        var statement = await reopened.GetStatement(2026, 12);

        Assert.Equal([new UsageBucket("cpu_ms", s_start.AddMinutes(-30), 2000)], hours.Buckets);
        Assert.Equal("standard", (await reopened.GetPricingPlan())?.Name);
        Assert.Equal(15.00m, statement.Total); // 10 + (2000 - 1000) / 100 × 0.5
    }

    [Fact]
    public async Task Usage_whose_write_failed_is_in_no_rollup_and_counts_once_when_sent_again()
    {
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults, new ManualTimeProvider(s_start));
        var tenant = await CreateAsync(cluster.GrainFactory);
        await tenant.RecordUsage("e1", "cpu_ms", 5);

        faults.FailWritesOf = "tenant";
        await Assert.ThrowsAnyAsync<Exception>(() => tenant.RecordUsage("e2", "cpu_ms", 7));
        Assert.Equal(5, await MonthAsync(tenant));

        faults.FailWritesOf = null;
        await tenant.RecordUsage("e2", "cpu_ms", 7);
        await tenant.RecordUsage("e2", "cpu_ms", 7);
        Assert.Equal(12, await MonthAsync(tenant));
    }

    [Fact]
    public async Task A_plan_whose_write_failed_is_not_in_force()
    {
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults, new ManualTimeProvider(s_start));
        var tenant = await CreateAsync(cluster.GrainFactory);
        await tenant.SetPricingPlan(s_plan);

        faults.FailWritesOf = "tenant";
        await Assert.ThrowsAnyAsync<Exception>(() => tenant.SetPricingPlan(s_plan with { Name = "other" }));

        Assert.Equal("standard", (await tenant.GetPricingPlan())?.Name);
        Assert.Equal("standard", (await tenant.GetStatement(2026, 12)).Plan);
    }

    [Fact]
    public async Task An_unknown_tenant_has_no_history_statement_or_plan()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: new ManualTimeProvider(s_start));
        var tenant = cluster.GrainFactory.GetGrain<ITenantGrain>("nobody");

        Assert.Equal(TenantErrors.UnknownTenant, (await Assert.ThrowsAsync<QuotaValidationException>(() => tenant.GetStatement(2026, 12))).Code);
        Assert.Equal(TenantErrors.UnknownTenant, (await Assert.ThrowsAsync<QuotaValidationException>(() => tenant.GetPricingPlan())).Code);
        Assert.Equal(
            TenantErrors.UnknownTenant,
            (await Assert.ThrowsAsync<QuotaValidationException>(() => tenant.GetUsageHistory(RollupGranularity.Day, s_start, s_start.AddDays(1), null))).Code);
        Assert.Equal(TenantErrors.UnknownTenant, (await Assert.ThrowsAsync<QuotaValidationException>(() => tenant.SetPricingPlan(s_plan))).Code);
    }

    /// <summary>
    /// A deleted tenant is billed for the months it existed while they can be asked for; once none can, the statement
    /// asked drops what it kept and takes its id out of the deleted tenants' directory, which every statements list
    /// reads (it would otherwise hold every tenant ever deleted). Each clock is a cluster of its own on the same stored data.
    /// </summary>
    [Fact]
    public async Task A_deleted_tenant_leaves_the_deleted_tenants_directory_once_no_month_it_existed_in_can_be_billed()
    {
        var options = QuotaClusters.Options(TestStorage.Sqlite(), time: new ManualTimeProvider(s_start));
        await using (var first = await TestCluster.StartAsync(options))
        {
            var tenant = await CreateAsync(first.GrainFactory);
            await tenant.RecordUsage("e1", "cpu_ms", 5);
            await tenant.Suspend();
            await tenant.Delete(force: false);
        }

        // The last hour in which December 2026 can still be asked for: billed, and listed.
        var lastDay = new DateTimeOffset(2027, 12, 31, 23, 0, 0, TimeSpan.Zero);
        options.TimeProvider = new ManualTimeProvider(lastDay);
        await using (var later = await TestCluster.StartAsync(options))
        {
            var deleted = later.GrainFactory.GetGrain<ITenantGrain>("acme");
            Assert.Equal(5, Assert.Single((await deleted.GetStatement(2026, 12)).Lines).Quantity);
            Assert.Equal(ValidationCodes.DeletedBeforePeriod, (await Assert.ThrowsAsync<QuotaValidationException>(() => deleted.GetStatement(2027, 6))).Code);
            Assert.Equal(["acme"], await DeletedTenants(later).List(null, 10));
        }

        // A day after December 2026 became older than the rollups keep (the margin for silos whose clocks are behind),
        // no month the tenant existed in is left.
        options.TimeProvider = new ManualTimeProvider(lastDay.AddDays(1).AddHours(1));
        await using (var last = await TestCluster.StartAsync(options))
        {
            var deleted = last.GrainFactory.GetGrain<ITenantGrain>("acme");
            Assert.Equal(ValidationCodes.DeletedBeforePeriod, (await Assert.ThrowsAsync<QuotaValidationException>(() => deleted.GetStatement(2027, 6))).Code);
            Assert.Empty(await DeletedTenants(last).List(null, 10));
        }

        // What the row holds now, read on a clock set back to when December 2026 could be asked for: no usage is kept.
        options.TimeProvider = new ManualTimeProvider(lastDay);
        await using var reread = await TestCluster.StartAsync(options);
        Assert.Empty((await reread.GrainFactory.GetGrain<ITenantGrain>("acme").GetStatement(2026, 12)).Lines);
    }

    /// <summary>
    /// A tenant created again under a deleted one's id starts afresh, but a statement that had closed by then is the
    /// deleted tenant's, as it was when it closed; the month still open when it is created again starts afresh.
    /// </summary>
    [Fact]
    public async Task A_tenant_created_again_leaves_the_deleted_ones_closed_statements_as_they_were()
    {
        var time = new ManualTimeProvider(s_start); // 5 December 2026
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: time);
        var tenant = await BilledThenDeletedAsync(cluster.GrainFactory);
        time.AdvanceTo(new DateTimeOffset(2027, 1, 10, 0, 0, 0, TimeSpan.Zero));
        var closed = await tenant.GetStatement(2026, 12);

        await CreateAsync(cluster.GrainFactory);
        await tenant.RecordUsage("e2", "cpu_ms", 7);

        var december = await tenant.GetStatement(2026, 12);
        var january = await tenant.GetStatement(2027, 1);

        Assert.True(closed.Closed);
        Assert.Equal(20.00m, closed.Total); // 10 + (3000 - 1000) / 100 × 0.5
        Assert.Equal(closed.Total, december.Total);
        Assert.Equal(closed.Lines, december.Lines);
        Assert.Null(january.Plan);
        Assert.Equal(7, Assert.Single(january.Lines).Quantity);
        Assert.Empty(await DeletedTenants(cluster).List(null, 10));

        // Deleted in turn, the second tenant keeps the first one's closed months with its own.
        await tenant.Suspend();
        await tenant.Delete(force: false);
        time.AdvanceTo(new DateTimeOffset(2027, 2, 10, 0, 0, 0, TimeSpan.Zero));

        Assert.Equal(closed.Total, (await tenant.GetStatement(2026, 12)).Total);
        Assert.Equal(7, Assert.Single((await tenant.GetStatement(2027, 1)).Lines).Quantity);
        Assert.Equal(["acme"], await DeletedTenants(cluster).List(null, 10));

        // A third tenant, created and deleted: each earlier tenant's closed months stay its own.
        time.AdvanceTo(new DateTimeOffset(2027, 3, 10, 0, 0, 0, TimeSpan.Zero));
        await CreateAsync(cluster.GrainFactory);
        await tenant.RecordUsage("e3", "cpu_ms", 5);
        await tenant.Suspend();
        await tenant.Delete(force: false);
        time.AdvanceTo(new DateTimeOffset(2027, 4, 10, 0, 0, 0, TimeSpan.Zero));

        Assert.Equal(closed.Total, (await tenant.GetStatement(2026, 12)).Total);
        Assert.Equal(7, Assert.Single((await tenant.GetStatement(2027, 1)).Lines).Quantity);
        // February began after the second tenant's delete and closed before the third was created: no tenant lived in it.
        Assert.Equal(ValidationCodes.DeletedBeforePeriod, (await Assert.ThrowsAsync<QuotaValidationException>(() => tenant.GetStatement(2027, 2))).Code);
        Assert.Equal(5, Assert.Single((await tenant.GetStatement(2027, 3)).Lines).Quantity);
    }

    /// <summary>
    /// Deleted and created again within one month, two tenants of the id shared it: the administrators' statement of the
    /// month bills the usage of both, under the plan in force (the deleted one's, as the new one has none), before and
    /// after it closes, and also once the new tenant is deleted in turn; the new tenant's own key reads its own usage
    /// alone. The deleted tenant's usage in the month used to be billed by no statement (20.00 here).
    /// </summary>
    [Fact]
    public async Task A_month_two_tenants_of_the_id_shared_bills_the_usage_of_both_to_administrators()
    {
        var (cluster, time, tenant) = await CreatedAgainOnDecember20Async();
        await using var _ = cluster;
        await tenant.RecordUsage("e2", "cpu_ms", 1000);

        var open = await tenant.GetStatement(2026, 12);
        var own = await tenant.GetOwnStatement(2026, 12);
        time.AdvanceTo(new DateTimeOffset(2027, 1, 10, 0, 0, 0, TimeSpan.Zero));
        var closed = await tenant.GetStatement(2026, 12);
        await tenant.Suspend();
        await tenant.Delete(force: false);
        var afterSecondDelete = await tenant.GetStatement(2026, 12);

        Assert.Equal((4000L, 25.00m, "standard"), (Assert.Single(open.Lines).Quantity, open.Total, open.Plan)); // 10 + (4000 - 1000) / 100 × 0.5
        Assert.Equal((1000L, (string?)null), (Assert.Single(own.Lines).Quantity, own.Plan));
        Assert.True(closed.Closed);
        Assert.Equal((4000L, 25.00m), (Assert.Single(closed.Lines).Quantity, closed.Total));
        Assert.Equal((4000L, 25.00m), (Assert.Single(afterSecondDelete.Lines).Quantity, afterSecondDelete.Total));
    }

    /// <summary>
    /// The month shared stays billed the same once closed, also when the tenant that took it over recorded nothing
    /// and kept no metering, through every later delete and creation under the id. A new tenant that removes the plan
    /// for the month it shared prices the month under no plan, not under the deleted tenant's.
    /// </summary>
    [Fact]
    public async Task A_shared_month_stays_billed_the_same_through_later_tenants_of_the_id_that_kept_no_metering()
    {
        var time = new ManualTimeProvider(s_start); // 5 December 2026
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: time);
        var tenant = await BilledThenDeletedAsync(cluster.GrainFactory);
        var decembers = new List<decimal>();
        async Task LiveAgainAsync(DateTimeOffset created, DateTimeOffset deleted)
        {
            time.AdvanceTo(created);
            await CreateAsync(cluster.GrainFactory);
            decembers.Add((await tenant.GetStatement(2026, 12)).Total);
            time.AdvanceTo(deleted);
            await tenant.Suspend();
            await tenant.Delete(force: false);
            decembers.Add((await tenant.GetStatement(2026, 12)).Total);
        }

        await LiveAgainAsync(new DateTimeOffset(2026, 12, 20, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2027, 1, 10, 0, 0, 0, TimeSpan.Zero));
        await LiveAgainAsync(new DateTimeOffset(2027, 1, 15, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2027, 2, 5, 0, 0, 0, TimeSpan.Zero));
        await LiveAgainAsync(new DateTimeOffset(2027, 2, 20, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2027, 3, 5, 0, 0, 0, TimeSpan.Zero));

        Assert.Equal([20.00m, 20.00m, 20.00m, 20.00m, 20.00m, 20.00m], decembers); // 10 + (3000 - 1000) / 100 × 0.5
    }

    [Fact]
    public async Task A_tenant_that_removed_the_plan_for_the_month_it_shared_prices_it_under_none()
    {
        var (cluster, _, tenant) = await CreatedAgainOnDecember20Async();
        await using var _ = cluster;
        await tenant.SetPricingPlan(s_plan);
        await tenant.SetPricingPlan(null);

        var december = await tenant.GetStatement(2026, 12);

        Assert.Null(december.Plan);
        Assert.Equal((3000L, 0m), (Assert.Single(december.Lines).Quantity, december.Total));
    }

    /// <summary>
    /// Created again in the minutes after a month's end while its statement is still open, the new tenant lived in none
    /// of that month: it stays the deleted tenant's.
    /// </summary>
    [Fact]
    public async Task A_tenant_created_again_just_after_a_month_ends_leaves_that_month_to_the_deleted_one()
    {
        var time = new ManualTimeProvider(s_start); // 5 December 2026
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: time);
        var tenant = await BilledThenDeletedAsync(cluster.GrainFactory);
        time.AdvanceTo(new DateTimeOffset(2027, 1, 1, 0, 3, 0, TimeSpan.Zero)); // December's statement closes at 00:05

        await CreateAsync(cluster.GrainFactory);
        var december = await tenant.GetStatement(2026, 12);

        Assert.Equal(20.00m, december.Total); // 10 + (3000 - 1000) / 100 × 0.5, as before the creation
        Assert.Equal(3000, Assert.Single(december.Lines).Quantity);
        Assert.Empty((await tenant.GetOwnStatement(2027, 1)).Lines);
    }

    /// <summary>
    /// A month between a delete and the next creation under the id was no tenant's, whether or not the deleted tenant
    /// kept metering, and stays so once what it kept is outlived.
    /// </summary>
    [Fact]
    public async Task A_month_between_a_delete_and_the_next_creation_is_no_tenants_though_the_deleted_one_kept_nothing()
    {
        var time = new ManualTimeProvider(s_start); // 5 December 2026
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: time);
        var tenant = await CreateAsync(cluster.GrainFactory);
        await tenant.Suspend();
        await tenant.Delete(force: false);
        time.AdvanceTo(new DateTimeOffset(2027, 3, 1, 0, 0, 0, TimeSpan.Zero));
        await CreateAsync(cluster.GrainFactory);

        Assert.Equal(ValidationCodes.DeletedBeforePeriod, (await Assert.ThrowsAsync<QuotaValidationException>(() => tenant.GetStatement(2027, 1))).Code);
        Assert.Empty((await tenant.GetStatement(2027, 3)).Lines);
    }

    /// <summary>
    /// The same for a gap between two earlier tenants: once the first of them is outlived (deleted more than the 13
    /// months statements reach back), the months between its delete and the next creation that can still be asked for
    /// stay no tenant's. They used to read as the current tenant's empty months once the outlived tenant was dropped.
    /// </summary>
    [Fact]
    public async Task A_month_between_two_earlier_tenants_stays_no_tenants_once_the_first_is_outlived()
    {
        var time = new ManualTimeProvider(s_start); // 5 December 2026
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: time);
        var tenant = await BilledThenDeletedAsync(cluster.GrainFactory);
        time.AdvanceTo(new DateTimeOffset(2027, 11, 1, 0, 0, 0, TimeSpan.Zero));
        await CreateAsync(cluster.GrainFactory);
        await tenant.Suspend();
        await tenant.Delete(force: false);
        time.AdvanceTo(new DateTimeOffset(2027, 12, 15, 0, 0, 0, TimeSpan.Zero));
        await CreateAsync(cluster.GrainFactory);
        var before = await Assert.ThrowsAsync<QuotaValidationException>(() => tenant.GetStatement(2027, 6));

        time.AdvanceTo(new DateTimeOffset(2028, 3, 1, 0, 0, 0, TimeSpan.Zero)); // the tenant deleted in December 2026 is outlived
        var june = await Assert.ThrowsAsync<QuotaValidationException>(() => tenant.GetStatement(2027, 6));
        var october = await Assert.ThrowsAsync<QuotaValidationException>(() => tenant.GetStatement(2027, 10));

        Assert.Equal(ValidationCodes.DeletedBeforePeriod, before.Code);
        Assert.Equal(ValidationCodes.DeletedBeforePeriod, june.Code);
        Assert.Equal(ValidationCodes.DeletedBeforePeriod, october.Code);
        Assert.Empty((await tenant.GetStatement(2027, 11)).Lines);
    }

    private static ITenantDirectoryGrain DeletedTenants(TestCluster cluster) =>
        cluster.GrainFactory.GetGrain<ITenantDirectoryGrain>(ITenantDirectoryGrain.DeletedTenantsKey);

    /// <summary>
    /// Created on 5 December at 10:30 with 100 units by the 7th at 10:30: 50 a day over the 26 days and 13.5 hours it
    /// has in December (from the month's start it would be 482).
    /// </summary>
    [Fact]
    public async Task A_tenant_s_first_statement_projects_its_usage_over_the_time_since_it_was_created()
    {
        var time = new ManualTimeProvider(s_start);
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: time);
        var tenant = await CreateAsync(cluster.GrainFactory);
        time.Advance(TimeSpan.FromDays(2));
        await tenant.RecordUsage("e1", "cpu_ms", 100);

        var statement = await tenant.GetStatement(2026, 12);

        Assert.Equal(1328, Assert.Single(statement.Lines).ProjectedQuantity);
    }

    /// <summary><see cref="BilledThenDeletedAsync"/>, then created again on 20 December: two tenants of the id share December.</summary>
    private static async Task<(TestCluster Cluster, ManualTimeProvider Time, ITenantGrain Tenant)> CreatedAgainOnDecember20Async()
    {
        var time = new ManualTimeProvider(s_start); // 5 December 2026
        var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: time);
        var tenant = await BilledThenDeletedAsync(cluster.GrainFactory);
        time.AdvanceTo(new DateTimeOffset(2026, 12, 20, 0, 0, 0, TimeSpan.Zero));
        await CreateAsync(cluster.GrainFactory);
        return (cluster, time, tenant);
    }

    /// <summary>A tenant with the plan and 3,000 cpu_ms in December (20.00 owed), then deleted.</summary>
    private static async Task<ITenantGrain> BilledThenDeletedAsync(global::Grains.IGrainFactory grains)
    {
        var tenant = await CreateAsync(grains);
        await tenant.SetPricingPlan(s_plan);
        await tenant.RecordUsage("e1", "cpu_ms", 3000);
        await tenant.Suspend();
        await tenant.Delete(force: false);
        return tenant;
    }

    private static async Task<ITenantGrain> CreateAsync(global::Grains.IGrainFactory grains)
    {
        var tenant = grains.GetGrain<ITenantGrain>("acme");
        await tenant.Create(TenantConfig.Create("acme", Tier.Basic, QuotaDefinition.Budget("cpu_ms", QuotaLimit.Unlimited, BudgetPeriod.Month)));
        return tenant;
    }

    private static async Task<long> MonthAsync(ITenantGrain tenant) =>
        (await tenant.GetUsageHistory(RollupGranularity.Month, s_start, s_start.AddDays(1), "cpu_ms")).Buckets.Sum(b => b.Amount);
}
