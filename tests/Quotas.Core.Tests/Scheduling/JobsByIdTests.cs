using Quotas.Core.Scheduling;

namespace Quotas.Core.Tests.Scheduling;

public sealed class JobsByIdTests
{
    private static readonly TenantState s_tenant = new(new TenantId("t"), 0, 1);
    private static readonly ResourceVector s_demand = ResourceVector.Of(("workers", 1));

    private static Job NewJob(long id) => new(id, s_tenant, s_demand, [1], 0, "k" + id, null, DateTimeOffset.UnixEpoch);

    [Fact]
    public void Jobs_are_found_by_id_walked_in_id_order_from_any_id_and_forgotten()
    {
        var table = new JobsById();
        foreach (var id in new long[] { 1, 2, 1023, 1024, 1025, 5000 })
        {
            table.Add(NewJob(id));
        }

        Assert.Equal(6, table.Count);
        Assert.True(table.TryGetValue(1024, out var found));
        Assert.Equal(1024, found.Id);
        Assert.False(table.TryGetValue(3, out _));
        Assert.False(table.TryGetValue(1_000_000, out _));
        Assert.Equal([1, 2, 1023, 1024, 1025, 5000], table.After(0).Select(j => j.Id));
        Assert.Equal([1024, 1025, 5000], table.After(1023).Select(j => j.Id));
        Assert.Equal([5000], table.After(1025).Select(j => j.Id));
        Assert.Empty(table.After(5000));
        Assert.Empty(table.After(long.MaxValue));

        table.Remove(1024);
        table.Remove(1024);
        table.Remove(77);
        Assert.Equal(5, table.Count);
        Assert.False(table.TryGetValue(1024, out _));
        Assert.Equal([1, 2, 1023, 1025, 5000], table.After(0).Select(j => j.Id));
    }

    [Fact]
    public void An_id_already_present_is_refused()
    {
        var table = new JobsById();
        table.Add(NewJob(7));

        Assert.Throws<InvalidOperationException>(() => table.Add(NewJob(7)));
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void Jobs_added_below_the_lowest_held_as_a_rebuilt_pool_adds_them_keep_their_order()
    {
        var table = new JobsById();
        foreach (var id in new long[] { 90_000, 3, 50_000, 2_000, 1, 120_000 })
        {
            table.Add(NewJob(id));
        }

        Assert.Equal([1, 3, 2_000, 50_000, 90_000, 120_000], table.After(0).Select(j => j.Id));
        Assert.Equal([50_000, 90_000, 120_000], table.After(2_000).Select(j => j.Id));
    }

    [Fact]
    public void Random_adds_and_removes_agree_with_a_sorted_set()
    {
        // A pool's pattern: ids issued upwards, forgotten in a different order, lookups of live and gone ids.
        var random = new Random(7);
        var table = new JobsById();
        var expected = new SortedSet<long>();
        long next = 1;
        for (var step = 0; step < 200_000; step++)
        {
            var roll = random.Next(10);
            if (roll < 5 || expected.Count == 0)
            {
                next += random.Next(3) == 0 ? random.Next(1, 3000) : 1;
                table.Add(NewJob(next));
                expected.Add(next);
            }
            else if (roll < 9)
            {
                // Mostly the oldest (retention), sometimes any (cancellation of a queued job).
                var id = random.Next(4) == 0 ? expected.ElementAt(random.Next(Math.Min(expected.Count, 50))) : expected.Min;
                table.Remove(id);
                expected.Remove(id);
            }
            else
            {
                var probe = random.NextInt64(1, next + 2);
                Assert.Equal(expected.Contains(probe), table.TryGetValue(probe, out var job));
                Assert.True(job is null || job.Id == probe);
            }

            Assert.Equal(expected.Count, table.Count);
        }

        Assert.Equal(expected, table.After(0).Select(j => j.Id));
        var middle = expected.ElementAt(expected.Count / 2);
        Assert.Equal(expected.Where(id => id > middle), table.After(middle).Select(j => j.Id));

        foreach (var id in expected.ToList())
        {
            table.Remove(id);
        }

        Assert.Equal(0, table.Count);
        Assert.Empty(table.After(0));
        table.Add(NewJob(next + 1));
        Assert.Equal([next + 1], table.After(0).Select(j => j.Id));
    }
}
