using System.Threading.Channels;
using Grains;
using Grains.Storage;
using Grains.Testing;
using Quotas.Contracts;
using Quotas.Core.Tenants;
using Quotas.Grains.Tenants;

namespace Quotas.Grains.Tests.Tenants;

/// <summary>
/// Budget usage counts against every ancestor (DESIGN section 4): a tenant sends what it records to its parent apart
/// from the call that records it, and each parent counts a delivery exactly once and passes it on. The clock is manual,
/// so that the periodic delivery runs only where a test moves time.
/// </summary>
public sealed class DescendantUsageTests
{
    private const string Cpu = "cpu_seconds";

    public static TheoryData<string> Databases => ["sqlite", "postgresql"];

    [Fact]
    public async Task Usage_a_grandchild_records_counts_once_in_its_parent_and_then_in_its_grandparent()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: new ManualTimeProvider());
        var corp = await CreateAsync(cluster.GrainFactory, "corp");
        var unit = await CreateAsync(cluster.GrainFactory, "corp-unit", parent: "corp");
        var team = await CreateAsync(cluster.GrainFactory, "corp-team", parent: "corp-unit");

        await team.RecordUsage("e1", Cpu, 30);
        await team.RecordUsage("e2", Cpu, 12);
        Assert.True((await team.RecordUsage("e1", Cpu, 30)).Duplicate);
        await unit.RecordUsage("u1", Cpu, 8);

        // Recording waits on no ancestor: nothing has gone up yet.
        Assert.Equal(8, await SpentAsync(unit));
        Assert.Equal(0, await SpentAsync(corp));

        Assert.True(await team.DeliverUsageToParent());
        Assert.Equal(50, await SpentAsync(unit));
        Assert.Equal(0, await SpentAsync(corp));

        Assert.True(await unit.DeliverUsageToParent());
        Assert.Equal(50, await SpentAsync(corp));
        Assert.Equal(42, await SpentAsync(team));

        // Sending again with nothing new counts nothing again.
        Assert.True(await team.DeliverUsageToParent());
        Assert.True(await unit.DeliverUsageToParent());
        Assert.Equal(50, await SpentAsync(unit));
        Assert.Equal(50, await SpentAsync(corp));
    }

    [Fact]
    public async Task A_delivery_whose_acknowledgement_was_not_stored_counts_once_when_it_is_sent_again()
    {
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults, new ManualTimeProvider());
        var org = await CreateAsync(cluster.GrainFactory, "org");
        var team = await CreateAsync(cluster.GrainFactory, "org-a", parent: "org");
        await team.RecordUsage("e1", Cpu, 42);

        // The child's writes: the batch it cuts, then the acknowledgement, which fails after the parent counted.
        var childWrites = 0;
        faults.BeforeWrite = key => key.GrainId.Key == "org-a" && Interlocked.Increment(ref childWrites) == 2
            ? throw new InvalidOperationException("injected write failure")
            : Task.CompletedTask;
        await Assert.ThrowsAnyAsync<Exception>(() => team.DeliverUsageToParent());
        Assert.Equal(42, await SpentAsync(org));

        faults.BeforeWrite = null;
        Assert.True(await team.DeliverUsageToParent());
        Assert.Equal(42, await SpentAsync(org));

        await team.RecordUsage("e2", Cpu, 5);
        Assert.True(await team.DeliverUsageToParent());
        Assert.Equal(47, await SpentAsync(org));
    }

    [Fact]
    public async Task Usage_recorded_while_the_parent_cannot_store_it_stays_with_the_child_and_counts_once_later()
    {
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults, new ManualTimeProvider());
        var org = await CreateAsync(cluster.GrainFactory, "org");
        var team = await CreateAsync(cluster.GrainFactory, "org-a", parent: "org");
        await team.RecordUsage("e1", Cpu, 40);

        faults.BeforeWrite = key => key.GrainId.Key == "org" ? throw new InvalidOperationException("injected write failure") : Task.CompletedTask;
        await Assert.ThrowsAnyAsync<Exception>(() => team.DeliverUsageToParent());

        // The child still records (its usage call does not depend on the parent), and sends both amounts later.
        Assert.False((await team.RecordUsage("e2", Cpu, 2)).Duplicate);
        await Assert.ThrowsAnyAsync<Exception>(() => team.DeliverUsageToParent());
        faults.BeforeWrite = null;
        Assert.Equal(0, await SpentAsync(org));

        Assert.True(await team.DeliverUsageToParent());
        Assert.Equal(42, await SpentAsync(org));
        Assert.Equal(42, await SpentAsync(team));
    }

    [Fact]
    public async Task An_active_child_sends_its_usage_every_second_by_itself_without_holding_its_calls()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults, time);
        var org = await CreateAsync(cluster.GrainFactory, "org");
        var team = await CreateAsync(cluster.GrainFactory, "org-a", parent: "org");
        var writes = new ParentWrites(faults, "org");
        await team.RecordUsage("e1", Cpu, 7);

        time.Advance(TimeSpan.FromMilliseconds(999));
        await team.GetStats(); // a call queued behind any timer turn that fell due
        Assert.Equal(0, await SpentAsync(org));

        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(7, await SpentOnceSentAsync(org, 7, writes));

        // Later ticks send what comes next, and nothing twice (a tick while the first answer is still on its way sends
        // nothing, so the clock moves on until the parent has it).
        await team.RecordUsage("e2", Cpu, 1);
        Assert.Equal(8, await SpentOnceSentAsync(org, 8, writes, time));
        Assert.True(await team.DeliverUsageToParent());
        Assert.Equal(8, await SpentAsync(org));
    }

    [Fact]
    public async Task A_child_whose_parent_does_not_answer_still_answers_its_own_calls()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults, time);
        var org = await CreateAsync(cluster.GrainFactory, "org");
        var team = await CreateAsync(cluster.GrainFactory, "org-a", parent: "org");
        await team.RecordUsage("e1", Cpu, 5);

        // The parent's write hangs: the send the tick starts waits on it, and the child goes on answering.
        var held = new HeldWrite("tenant", "org");
        faults.BeforeWrite = held.Gate;
        time.Advance(TimeSpan.FromSeconds(1));
        await held.Entered;
        Assert.False((await team.RecordUsage("e2", Cpu, 3)).Duplicate);
        Assert.Equal(8, await SpentAsync(team));

        var writes = new ParentWrites(faults, "org");
        held.Proceed();
        faults.BeforeWrite = null;
        Assert.Equal(5, await SpentOnceSentAsync(org, 5, writes));
        Assert.True(await team.DeliverUsageToParent());
        Assert.Equal(8, await SpentAsync(org));
    }

    [Fact]
    public async Task A_child_that_owes_its_parent_usage_is_not_collected_when_idle_until_it_has_sent_it()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults, time);
        var org = await CreateAsync(cluster.GrainFactory, "org");
        var team = await CreateAsync(cluster.GrainFactory, "org-a", parent: "org");
        var created = time.GetUtcNow();
        await team.RecordUsage("e1", Cpu, 6);
        var silo = cluster.PrimarySilo.Silo;
        var teamId = GrainId.Create(TenantGrain.GrainTypeName, "org-a");

        // The parent cannot store what it is sent; the child's tick has sent (and started to hold) once it tried.
        await ParentRefusesWritesAsync(faults, time);

        time.Advance(TimeSpan.FromSeconds(20));
        await silo.CollectIdleActivationsAsync(TimeSpan.FromSeconds(10));
        Assert.False(silo.ActivationGoneAsync(teamId).IsCompleted);

        // Once it has sent what it owed, it is collected like any idle tenant; the call after the next tick orders the two.
        faults.BeforeWrite = null;
        Assert.True(await team.DeliverUsageToParent());
        Assert.Equal(6, await SpentAsync(org));
        time.Advance(TimeSpan.FromSeconds(1));
        await team.GetStats();

        // Past the child's 30-second re-read of its parent's quotas, which would still be running when collection looks.
        time.AdvanceTo(created + TenantGrain.ParentRefreshInterval + TimeSpan.FromSeconds(1));
        await team.GetStats();
        time.Advance(TimeSpan.FromSeconds(20));
        await silo.ActivationQuietAsync(teamId);
        await silo.CollectIdleActivationsAsync(TimeSpan.FromSeconds(10));
        Assert.True(silo.ActivationGoneAsync(teamId).IsCompleted);
    }

    /// <summary>
    /// A child whose parent takes none of what it owes is held from idle collection for an hour at most: the parent may
    /// never take it (it runs an earlier release during an upgrade, say), and the stored usage goes at the child's next
    /// activation.
    /// </summary>
    [Fact]
    public async Task A_child_whose_parent_takes_nothing_of_what_it_owes_is_held_from_idle_collection_for_an_hour_at_most()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults, time);
        var org = await CreateAsync(cluster.GrainFactory, "org");
        var team = cluster.GrainFactory.GetGrain<ITenantGrain>("org-a");
        await team.Create(TenantConfig.Create("org-a", Tier.Basic, QuotaDefinition.Budget(Cpu, QuotaLimit.Hard(1_000_000), BudgetPeriod.Month))
            with { ParentId = TenantId.Parse("org") });
        await team.RecordUsage("e1", Cpu, 6);
        await ParentRefusesWritesAsync(faults, time);
        var owingFrom = time.GetUtcNow();

        // After each jump a call waits for the turns the jump started and is the child's last activity but the hold's:
        // 20 s later, collection takes what has been idle for 20 s. Timers tick one at a time, each armed again a
        // second after its turn, so a tick of the hold falls due after the call, and counts later than it. The jump to
        // the hour's end goes a second past it, so that a tick armed just before the hour falls due, and lets go.
        var silo = cluster.PrimarySilo.Silo;
        async Task<bool> CollectChildAsync()
        {
            await org.GetStats(); // the parent stays: only the child can be collected

            // A re-read of the parent's quotas (a timer, every 30 s) may still be running, which would keep the child.
            await silo.ActivationQuietAsync(GrainId.Create(TenantGrain.GrainTypeName, "org-a"));
            await silo.CollectIdleActivationsAsync(TimeSpan.FromSeconds(20));
            return silo.ActivationCountsByType().GetValueOrDefault(TenantGrain.GrainTypeName) == 1;
        }

        time.AdvanceTo(owingFrom + TenantGrain.OwingHoldLimit - TimeSpan.FromMinutes(1));
        await team.GetStats();
        time.Advance(TimeSpan.FromSeconds(20));
        Assert.False(await CollectChildAsync());

        time.AdvanceTo(owingFrom + TenantGrain.OwingHoldLimit + TimeSpan.FromSeconds(1));
        await team.GetStats();
        time.Advance(TimeSpan.FromSeconds(20));
        Assert.True(await CollectChildAsync());

        // Activated again, it sends what it stored once the parent takes it.
        faults.BeforeWrite = null;
        Assert.True(await team.DeliverUsageToParent());
        Assert.Equal(6, await SpentAsync(org));
    }

    /// <summary>Makes the parent "org" fail every write, and moves the clock on until the child's tick has tried to send to it.</summary>
    private static async Task ParentRefusesWritesAsync(StorageFaults faults, ManualTimeProvider time)
    {
        var attempted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        faults.BeforeWrite = key =>
        {
            if (key.GrainId.Key != "org")
            {
                return Task.CompletedTask;
            }

            attempted.TrySetResult();
            throw new InvalidOperationException("injected write failure");
        };
        time.Advance(TimeSpan.FromSeconds(1));
        await attempted.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Theory]
    [MemberData(nameof(Databases))]
    public async Task Usage_not_yet_sent_when_the_childs_silo_is_killed_goes_up_once_the_child_is_active_again(string database)
    {
        var storage = database == "sqlite" ? TestStorage.Sqlite() : TestStorage.PostgreSql();
        var options = QuotaClusters.Options(storage, time: new ManualTimeProvider());
        await using (var first = await TestCluster.StartAsync(options))
        {
            await CreateAsync(first.GrainFactory, "org");
            var team = await CreateAsync(first.GrainFactory, "org-a", parent: "org");
            await team.RecordUsage("e1", Cpu, 9);
            await first.PrimarySilo.Silo.KillAsync();
        }

        // A clock of its own: the killed silo's activations linger in this process, and must not tick.
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        options.TimeProvider = time;
        options.ConfigureServices = faults.Install;
        await using var second = await TestCluster.StartAsync(options);
        var org = second.GrainFactory.GetGrain<ITenantGrain>("org");
        Assert.Equal(0, await SpentAsync(org));
        await second.GrainFactory.GetGrain<ITenantGrain>("org-a").GetStats(); // activates the child
        var writes = new ParentWrites(faults, "org");
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(9, await SpentOnceSentAsync(org, 9, writes));
    }

    [Fact]
    public async Task A_deleted_child_sends_what_it_recorded_first_and_a_child_created_again_under_its_id_counts_afresh()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: new ManualTimeProvider());
        var org = await CreateAsync(cluster.GrainFactory, "org");
        var team = await CreateAsync(cluster.GrainFactory, "org-a", parent: "org");
        await team.RecordUsage("e1", Cpu, 11);
        await team.Suspend();
        await team.Delete(force: false);
        Assert.Equal(11, await SpentAsync(org));

        // The new tenant numbers its deliveries from 1 again, in a life of its own.
        var again = await CreateAsync(cluster.GrainFactory, "org-a", parent: "org");
        await again.RecordUsage("e1", Cpu, 4);
        Assert.True(await again.DeliverUsageToParent());
        Assert.Equal(15, await SpentAsync(org));
    }

    /// <summary>
    /// Usage recorded while the parent is deleted is owed to no one and dropped, and the child stops asking the gone
    /// parent for a while; a parent created again under the id meanwhile is owed usage again from when the child reads
    /// it (the parent's notice has it do so at once).
    /// </summary>
    [Fact]
    public async Task Usage_for_a_deleted_parent_is_dropped_and_a_parent_created_again_under_its_id_is_sent_what_comes_after()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults, time);
        var org = await CreateAsync(cluster.GrainFactory, "org");
        var team = await CreateAsync(cluster.GrainFactory, "org-a", parent: "org");
        await org.Suspend();
        await org.Delete(force: true);
        await team.RecordUsage("e1", Cpu, 3);
        Assert.True(await team.DeliverUsageToParent()); // the parent is gone: nothing is owed to it

        org = await CreateAsync(cluster.GrainFactory, "org");
        await team.ParentQuotasChanged();
        await team.RecordUsage("e2", Cpu, 4);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(4, await SpentOnceSentAsync(org, 4, new ParentWrites(faults, "org"), time));
        Assert.Equal(7, await SpentAsync(team));
    }

    /// <summary>
    /// A parent created again under the id counts none of the usage a child recorded before it was created: recorded
    /// while the earlier parent was deleted, and sent only now (the child could not store a delivery until then).
    /// </summary>
    [Fact]
    public async Task A_parent_created_again_under_its_id_counts_no_usage_recorded_before_it_was_created()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults, time);
        var org = await CreateAsync(cluster.GrainFactory, "org");
        var team = await CreateAsync(cluster.GrainFactory, "org-a", parent: "org");
        await org.Suspend();
        await org.Delete(force: true);
        await team.RecordUsage("e1", Cpu, 6);

        // The child cannot store a delivery for 40 minutes, so e1 stays owed, to no parent, until then.
        faults.BeforeWrite = key => key.GrainId.Key == "org-a" ? throw new InvalidOperationException("injected write failure") : Task.CompletedTask;

        // A minute at a time, each followed by a call to the child: the deleted parent, which the child's attempts
        // activate, must not be activating across the whole 40 minutes (its activation timeout is 2 minutes).
        for (var minute = 0; minute < 40; minute++)
        {
            time.Advance(TimeSpan.FromMinutes(1));
            await team.GetStats();
        }

        faults.BeforeWrite = null;
        org = await CreateAsync(cluster.GrainFactory, "org");
        await team.ParentQuotasChanged();
        await team.RecordUsage("e2", Cpu, 4);

        Assert.True(await team.DeliverUsageToParent());
        Assert.Equal(4, await SpentAsync(org));
        Assert.Equal(10, await SpentAsync(team));
    }

    [Fact]
    public async Task A_delivery_counted_once_is_not_counted_again_and_one_from_another_life_is()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: new ManualTimeProvider());
        var org = await CreateAsync(cluster.GrainFactory, "org");
        var now = new ManualTimeProvider().GetUtcNow();
        var batch = new UsageBatch(1, [new QuotaAmount(Cpu, 3, now), new QuotaAmount("gpu_hours", 2, now)]);

        Assert.True(await org.RecordChildUsage("org-a/life1", batch));
        Assert.False(await org.RecordChildUsage("org-a/life1", batch));
        Assert.True(await org.RecordChildUsage("org-a/life2", batch));

        // A quota the parent has no budget for is passed over (its ancestors, whose budgets it inherits, have none either).
        Assert.Equal(6, await SpentAsync(org));
        var invalid = await Assert.ThrowsAsync<QuotaValidationException>(() => org.RecordChildUsage("org-a/life1", batch with { Sequence = 0 }));
        Assert.Equal(ValidationCodes.Invalid, invalid.Code);
    }

    private static async Task<ITenantGrain> CreateAsync(IGrainFactory grains, string id, string? parent = null)
    {
        var grain = grains.GetGrain<ITenantGrain>(id);
        var config = TenantConfig.Create(id, Tier.Basic, QuotaDefinition.Budget(Cpu, QuotaLimit.Hard(1_000_000), BudgetPeriod.Month));
        await grain.Create(parent is null ? config : config with { ParentId = TenantId.Parse(parent) });
        return grain;
    }

    private static async Task<long> SpentAsync(ITenantGrain tenant) =>
        (await tenant.GetStats()).Budgets.Single(b => b.Quota == Cpu).Current;

    /// <summary>
    /// What the parent has spent once it shows <paramref name="expected"/>, or after 10 s: the periodic send is not
    /// awaited by any call, so the test waits for the parent's next stored write and reads again (a count other than
    /// expected fails it). With <paramref name="ticking"/>, the clock moves on a second each time, for the next tick
    /// of the child's send, and a write is awaited for a second at most.
    /// </summary>
    private static async Task<long> SpentOnceSentAsync(ITenantGrain parent, long expected, ParentWrites writes, ManualTimeProvider? ticking = null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        long spent;
        while ((spent = await SpentAsync(parent)) != expected && DateTime.UtcNow < deadline)
        {
            ticking?.Advance(TimeSpan.FromSeconds(1));
            var within = ticking is null ? deadline - DateTime.UtcNow : TimeSpan.FromSeconds(1);
            await writes.NextAsync(within > TimeSpan.Zero ? within : TimeSpan.Zero); // then read again; the loop ends at the deadline
        }

        return spent;
    }

    /// <summary>The parent's stored writes as they happen, for a test to wait on.</summary>
    private sealed class ParentWrites
    {
        private readonly Channel<GrainStateKey> _writes = Channel.CreateUnbounded<GrainStateKey>();

        public ParentWrites(StorageFaults faults, string parent) =>
            faults.AfterWrite = key =>
            {
                if (key.GrainId.Key == parent)
                {
                    _writes.Writer.TryWrite(key);
                }
            };

        /// <summary>Takes the next write, waiting <paramref name="within"/> at most; false when none came.</summary>
        public async Task<bool> NextAsync(TimeSpan within)
        {
            using var limit = new CancellationTokenSource(within);
            try
            {
                return await _writes.Reader.WaitToReadAsync(limit.Token) && _writes.Reader.TryRead(out _);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }
}
