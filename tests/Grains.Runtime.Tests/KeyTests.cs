using Grains.Runtime.Tests.Grains;

namespace Grains.Runtime.Tests;

public sealed class KeyTests
{
    [Theory]
    [InlineData("")]
    [InlineData("a\0b")]
    [InlineData("line\nbreak")]
    public async Task Invalid_string_keys_are_refused_with_an_argument_error(string key)
    {
        await using var cluster = await Clusters.StartAsync(new LifecycleProbe());

        var error = Assert.Throws<ArgumentException>(() => cluster.GrainFactory.GetGrain<IBehaviourGrain>(key));

        Assert.Equal("key", error.ParamName);
    }

    /// <summary>
    /// A surrogate that is not half of a pair is not text: SQLite would store "a\uD800" and "a\uDC00" both as "a\uFFFD",
    /// one row for two grains. (Built here, not in InlineData: the test runner's serialization would mend them.)
    /// </summary>
    [Fact]
    public async Task Keys_with_unpaired_surrogates_are_refused_and_pairs_are_accepted()
    {
        await using var cluster = await Clusters.StartAsync(new LifecycleProbe());

        foreach (var key in new[] { "a" + (char)0xD800, (char)0xDC00 + "b", "x" + (char)0xDC00 + (char)0xD800 })
        {
            var error = Assert.Throws<ArgumentException>(() => cluster.GrainFactory.GetGrain<IBehaviourGrain>(key));
            Assert.Contains("unpaired surrogate", error.Message, StringComparison.Ordinal);
        }

        Assert.Equal("tenant-\U0001F600", await cluster.GrainFactory.GetGrain<IBehaviourGrain>("tenant-\U0001F600").KeyOf());
    }

    [Fact]
    public async Task Over_long_key_is_refused_and_the_longest_allowed_key_works()
    {
        await using var cluster = await Clusters.StartAsync(new LifecycleProbe());
        var longest = new string('k', GrainKey.MaxLength);

        var error = Assert.Throws<ArgumentException>(() => cluster.GrainFactory.GetGrain<IBehaviourGrain>(longest + "k"));

        Assert.Contains($"at most {GrainKey.MaxLength}", error.Message);
        Assert.Equal(longest, await cluster.GrainFactory.GetGrain<IBehaviourGrain>(longest).KeyOf());
    }

    [Fact]
    public async Task Guid_and_integer_keys_round_trip()
    {
        await using var cluster = await Clusters.StartAsync(new LifecycleProbe());
        var guid = Guid.NewGuid();

        Assert.Equal(guid, await cluster.GrainFactory.GetGrain<IGuidKeyGrain>(guid).Key());
        Assert.Equal(-42L, await cluster.GrainFactory.GetGrain<IIntegerKeyGrain>(-42).Key());
        Assert.Equal(long.MaxValue, await cluster.GrainFactory.GetGrain<IIntegerKeyGrain>(long.MaxValue).Key());
    }

    [Fact]
    public async Task Interface_without_a_grain_class_is_refused_with_a_clear_error()
    {
        await using var cluster = await Clusters.StartAsync(new LifecycleProbe());

        var error = Assert.Throws<InvalidOperationException>(() => cluster.GrainFactory.GetGrain<IOrphanGrain>("x"));

        Assert.Contains("No grain class implements", error.Message);
    }

    [Fact]
    public async Task References_to_the_same_grain_are_equal()
    {
        await using var cluster = await Clusters.StartAsync(new LifecycleProbe());

        var first = cluster.GrainFactory.GetGrain<IBehaviourGrain>("same");
        var second = cluster.GrainFactory.GetGrain<IBehaviourGrain>("same");

        Assert.Equal(first, second);
        Assert.NotEqual(first, cluster.GrainFactory.GetGrain<IBehaviourGrain>("other"));
    }
}
