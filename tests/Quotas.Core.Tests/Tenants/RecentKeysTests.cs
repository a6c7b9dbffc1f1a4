using Quotas.Core.Tenants;

namespace Quotas.Core.Tests.Tenants;

public sealed class RecentKeysTests
{
    [Fact]
    public void A_key_removed_early_leaves_its_turn_to_the_next_oldest_and_may_come_back_as_the_newest()
    {
        var keys = new RecentKeys<int>(capacity: 3);
        keys.Add("a", 1);
        keys.Add("b", 2);
        keys.Add("c", 3);

        Assert.True(keys.Remove("a"));
        Assert.False(keys.Remove("a"));
        keys.Add("a", 4); // back, now the newest
        keys.Add("d", 5); // full: the oldest held, "b", goes

        Assert.Equal(["c", "a", "d"], keys.InOrder().Select(p => p.Key));
        Assert.True(keys.TryGet("a", out var value));
        Assert.Equal(4, value);
        Assert.False(keys.Contains("b"));
    }

    [Fact]
    public void Many_removals_keep_the_order_short_and_right()
    {
        var keys = new RecentKeys<int>(capacity: 1001);
        for (var i = 0; i < 10_000; i++)
        {
            keys.Add($"k{i}", i);
            if (i % 10 != 0)
            {
                keys.Remove($"k{i}");
            }
        }

        Assert.Equal(1000, keys.Count);
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => $"k{i * 10}"), keys.InOrder().Select(p => p.Key));
    }
}
