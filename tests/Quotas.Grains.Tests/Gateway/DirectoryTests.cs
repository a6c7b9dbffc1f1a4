using Grains.Testing;
using Quotas.Contracts.Gateway;

namespace Quotas.Grains.Tests.Gateway;

/// <summary>A directory's changes that arrive together share its writes; each is acknowledged only once stored.</summary>
public sealed class DirectoryTests
{
    [Fact]
    public async Task Changes_made_at_once_are_each_acknowledged_once_stored_and_a_new_silo_lists_them()
    {
        var options = QuotaClusters.Options(TestStorage.Sqlite());
        var ids = Enumerable.Range(0, 200).Select(i => $"tenant-{i:D3}").ToList();
        await using (var first = await TestCluster.StartAsync(options))
        {
            var directory = first.GrainFactory.GetGrain<ITenantDirectoryGrain>("burst");
            await Task.WhenAll(ids.Select(id => directory.Add(id)));
            await Task.WhenAll(ids.Where((_, i) => i % 2 == 1).Select(id => directory.Remove(id)));
            await first.PrimarySilo.Silo.KillAsync();
        }

        await using var second = await TestCluster.StartAsync(options);
        var reopened = second.GrainFactory.GetGrain<ITenantDirectoryGrain>("burst");
        Assert.Equal(ids.Where((_, i) => i % 2 == 0), await reopened.List(null, 1000));
    }

    /// <summary>A list shows what is stored: an id whose write still runs is not listed, nor is one whose write failed, and the list waits for neither.</summary>
    [Fact]
    public async Task A_list_shows_the_ids_stored_and_not_one_whose_write_is_still_running()
    {
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults);
        var directory = cluster.GrainFactory.GetGrain<ITenantDirectoryGrain>("listed");
        await directory.Add("stored");

        var held = new HeldWrite("tenant-directory", failWith: "injected write failure");
        faults.BeforeWrite = held.Gate;
        var adding = directory.Add("pending");
        await held.Entered;
        Assert.Equal(["stored"], await directory.List(null, 10));
        Assert.Empty(await directory.List("stored", 10));

        held.Proceed();
        await Assert.ThrowsAnyAsync<Exception>(() => adding);
        Assert.Equal(["stored"], await directory.List(null, 10));
    }

    [Fact]
    public async Task A_change_whose_write_failed_fails_its_caller_and_is_not_listed()
    {
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults);
        var directory = cluster.GrainFactory.GetGrain<ITenantDirectoryGrain>("failing");
        await directory.Add("kept");

        faults.FailWritesOf = "tenant-directory";
        await Assert.ThrowsAnyAsync<Exception>(() => Task.WhenAll(directory.Add("lost"), directory.Remove("kept")));
        faults.FailWritesOf = null;

        Assert.Equal(["kept"], await directory.List(null, 10));
        await directory.Add("later");
        Assert.Equal(["kept", "later"], await directory.List(null, 10));
    }
}
