using Quotas.Core.Tenants;

namespace Quotas.Core.Tests.Tenants;

public sealed class UsageOutboxTests
{
    private static readonly DateTimeOffset s_t0 = new(2026, 3, 31, 23, 50, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset s_slot = new(2026, 3, 31, 23, 45, 0, TimeSpan.Zero);

    /// <summary>
    /// While the parent takes no delivery (its row does not read, or it runs a release that refuses them), the batch in
    /// flight waits and usage goes on piling up: the outbox keeps only what some ancestor could still count.
    /// </summary>
    [Fact]
    public void Usage_no_ancestor_could_count_any_more_is_not_kept_while_the_parent_takes_nothing()
    {
        var outbox = new UsageOutbox();
        outbox.Add("cpu_seconds", 1, s_t0);
        var inFlight = outbox.NextBatch(out _);
        const int SlotsPerDay = 96;
        for (var i = 1; i <= 60 * SlotsPerDay; i++)
        {
            outbox.Add("cpu_seconds", 1, s_t0 + (i * QuotaAmount.SlotLength));
        }

        var newest = s_slot + (60 * SlotsPerDay * QuotaAmount.SlotLength);
        Assert.Equal(35 * SlotsPerDay, outbox.Pending.Count);
        Assert.All(outbox.Pending, amount => Assert.True(amount.Slot > newest - UsageOutbox.MaxCountableAge));
        Assert.Same(inFlight, outbox.NextBatch(out _));

        // Passed up from a child now: a slot older than that is not kept, one within it is, and one ahead of now (a
        // child's clock ahead) is kept without making the others look old.
        outbox.Add("cpu_seconds", 5, newest - TimeSpan.FromDays(36), newest);
        outbox.Add("cpu_seconds", 5, newest - TimeSpan.FromDays(30), newest);
        outbox.Add("cpu_seconds", 5, newest + TimeSpan.FromDays(100), newest);
        Assert.Equal((35 * SlotsPerDay) + 1, outbox.Pending.Count);
        Assert.Equal(6, outbox.Pending.Single(a => a.Slot == newest - TimeSpan.FromDays(30)).Amount);
        outbox.Add("cpu_seconds", 1, newest + QuotaAmount.SlotLength);
        Assert.Equal((35 * SlotsPerDay) + 2, outbox.Pending.Count);
    }

    [Fact]
    public void A_batch_is_sent_again_unchanged_until_acknowledged_while_new_usage_waits_for_the_next()
    {
        var outbox = new UsageOutbox();
        Assert.Null(outbox.NextBatch(out _));
        Assert.Null(outbox.Life);

        outbox.Add("cpu_seconds", 3, s_t0);
        outbox.Add("cpu_seconds", 4, s_t0.AddMinutes(9)); // the same slot, up to 23:59:59.9999999
        outbox.Add("cpu_seconds", 1, s_t0.AddMinutes(10)); // the next one
        outbox.Add("cost", 1, s_t0);
        var first = outbox.NextBatch(out var cut)!;
        Assert.True(cut);
        Assert.Equal(1, first.Sequence);
        Assert.Equal(
            [new QuotaAmount("cost", 1, s_slot), new QuotaAmount("cpu_seconds", 7, s_slot), new QuotaAmount("cpu_seconds", 1, s_slot.AddMinutes(15))],
            first.Amounts);
        var life = outbox.Life;
        Assert.NotNull(life);

        outbox.Add("cpu_seconds", 5, s_t0);
        Assert.Same(first, outbox.NextBatch(out cut));
        Assert.False(cut);
        Assert.False(outbox.Acknowledge(2));
        Assert.Same(first, outbox.NextBatch(out _));

        Assert.True(outbox.Acknowledge(1));
        var second = outbox.NextBatch(out cut)!;
        Assert.True(cut);
        Assert.Equal(2, second.Sequence);
        Assert.Equal([new QuotaAmount("cpu_seconds", 5, s_slot)], second.Amounts);
        Assert.True(outbox.Acknowledge(2));
        Assert.True(outbox.IsEmpty);
        Assert.Equal(life, outbox.Life);
    }

    [Fact]
    public void Pending_usage_stops_at_the_largest_long_instead_of_wrapping()
    {
        var outbox = new UsageOutbox();
        outbox.Add("cost", long.MaxValue - 1, s_t0);
        outbox.Add("cost", 5, s_t0);

        Assert.Equal(long.MaxValue, Assert.Single(outbox.Pending).Amount);
    }

    [Fact]
    public void A_parent_counts_its_childrens_usage_up_to_the_largest_long()
    {
        var parent = Parent("UTC");

        Assert.True(parent.RecordChildUsage("a/1", new UsageBatch(1, [new QuotaAmount("cost", long.MaxValue - 1, s_slot)]), s_t0));
        Assert.True(parent.RecordChildUsage("b/1", new UsageBatch(1, [new QuotaAmount("cost", 5, s_slot)]), s_t0));

        Assert.Equal(long.MaxValue, Spent(parent, s_t0));
        Assert.True(parent.Outbox.IsEmpty); // a root tenant passes nothing up
    }

    [Fact]
    public void Usage_that_arrives_after_its_period_ended_here_is_not_counted_in_the_next_one()
    {
        var april = new DateTimeOffset(2026, 4, 1, 0, 0, 1, TimeSpan.Zero);
        var utc = Parent("UTC");
        var berlin = Parent("Europe/Berlin"); // 02:00:01 on 1 April there: March ended two hours before the slot

        var batch = new UsageBatch(1, [new QuotaAmount("cost", 7, s_slot), new QuotaAmount("cost", 2, QuotaAmount.SlotOf(april))]);
        Assert.True(utc.RecordChildUsage("a/1", batch, april));
        Assert.True(berlin.RecordChildUsage("a/1", batch, april));

        Assert.Equal(2, Spent(utc, april));
        Assert.Equal(9, Spent(berlin, april));
    }

    [Fact]
    public void A_life_that_ended_counts_nothing_more_and_another_life_of_the_same_child_counts_afresh()
    {
        var parent = Parent("UTC");
        var batch = new UsageBatch(1, [new QuotaAmount("cost", 3, s_slot)]);
        Assert.True(parent.RecordChildUsage("a/1", batch, s_t0));

        Assert.True(parent.ChildDeliveries.End("a/1", s_t0));
        Assert.False(parent.ChildDeliveries.End("a/1", s_t0));
        Assert.False(parent.RecordChildUsage("a/1", batch with { Sequence = 2 }, s_t0));
        Assert.True(parent.RecordChildUsage("a/2", batch, s_t0));
        Assert.Equal(6, Spent(parent, s_t0));

        // An ended life is remembered for a day, then forgotten when the next one ends, so the parent's state stays small.
        Assert.True(parent.ChildDeliveries.End("a/2", s_t0 + ChildDeliveries.EndedKeptFor));
        Assert.Contains("a/1", parent.ChildDeliveries.Last.Keys);
        Assert.True(parent.ChildDeliveries.End("b/1", s_t0 + ChildDeliveries.EndedKeptFor + TimeSpan.FromTicks(1)));
        Assert.Equal(["a/2", "b/1"], parent.ChildDeliveries.Last.Keys.Order());
    }

    [Fact]
    public void A_stored_outbox_a_parent_would_refuse_for_good_is_dropped_on_restore_and_ended_lives_keep_their_time()
    {
        var tenant = new TenantQuotas(TenantConfig.Create("org-a", Tier.Basic) with { ParentId = TenantId.Parse("org") });
        var snapshot = tenant.ToSnapshot();
        snapshot.Outbox = new UsageOutboxSnapshot("life", 3, new UsageBatch(3, [null!]), [null!, new QuotaAmount("Bad-Name", 1, s_slot), new QuotaAmount("cost", 2, s_slot)]);
        snapshot.ChildDeliveries = [null!, new ChildDelivery("kid/1", ChildDeliveries.Ended, s_t0)];

        var restored = TenantQuotas.FromSnapshot(snapshot);

        Assert.Null(restored.Outbox.InFlight);
        Assert.Equal([new QuotaAmount("cost", 2, s_slot)], restored.Outbox.Pending);
        Assert.Equal(s_t0, restored.ChildDeliveries.EndedAt("kid/1"));
        Assert.Equal([new ChildDelivery("kid/1", ChildDeliveries.Ended, s_t0)], restored.ToSnapshot().ChildDeliveries);

        // Batches a parent refuses for good whatever is sent: a quota name it cannot take, or a number never cut here.
        foreach (var refused in new[] { new UsageBatch(3, [new QuotaAmount("Bad-Name", 1, s_slot)]), new UsageBatch(0, []), new UsageBatch(4, []) })
        {
            snapshot.Outbox = new UsageOutboxSnapshot("life", 3, refused, []);
            Assert.Null(TenantQuotas.FromSnapshot(snapshot).Outbox.InFlight);
        }

        snapshot.Outbox = new UsageOutboxSnapshot("life", 3, new UsageBatch(3, [new QuotaAmount("cost", 1, s_slot)]), []);
        Assert.NotNull(TenantQuotas.FromSnapshot(snapshot).Outbox.InFlight);

        // A life the parent could not take as part of a child's name is replaced by a new one.
        Assert.Equal("life", TenantQuotas.FromSnapshot(snapshot).Outbox.Life);
        snapshot.Outbox = new UsageOutboxSnapshot("no/such life", 3, null, []);
        Assert.Matches("^[0-9a-f]{32}$", TenantQuotas.FromSnapshot(snapshot).Outbox.Life);
    }

    private static TenantQuotas Parent(string zone) => new(TenantConfig.Create("org", Tier.Basic, QuotaDefinition.Budget("cost", QuotaLimit.Hard(10), BudgetPeriod.Month)) with
    {
        TimeZoneId = zone,
    });

    private static long Spent(TenantQuotas tenant, DateTimeOffset now) => tenant.Stats(now).Budgets.Single(b => b.Quota == "cost").Current;

    /// <summary>
    /// A middle tenant whose copy of its parent's budgets is out of date (the parent added one a moment ago) does not
    /// count a child's usage of that budget, and passes it up all the same: the delivery was acknowledged, and the
    /// ancestor that has the budget never counted it.
    /// </summary>
    [Fact]
    public void A_childs_usage_of_a_budget_the_middle_tenant_does_not_have_yet_is_passed_up()
    {
        var middle = new TenantQuotas(TenantConfig.Create("team", Tier.Basic, QuotaDefinition.Budget("cost", QuotaLimit.Hard(1000), BudgetPeriod.Month))
            with { ParentId = TenantId.Parse("org") });

        Assert.True(middle.RecordChildUsage("kid/1", new UsageBatch(1, [new QuotaAmount("gpu_hours", 3, s_slot), new QuotaAmount("cost", 2, s_slot)]), s_t0));

        Assert.Equal([new QuotaAmount("cost", 2, s_slot), new QuotaAmount("gpu_hours", 3, s_slot)], middle.Outbox.Pending.OrderBy(a => a.Quota, StringComparer.Ordinal));
    }
}
