using Grains.Cluster;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Grains.Runtime.Tests;

public sealed class MembershipViewTests
{
    /// <summary>
    /// Callers that ask for a refresh while a read runs share the one read that starts after it, which sees what they
    /// asked for; they do not each queue a read of the table.
    /// </summary>
    [Fact]
    public async Task Refreshes_asked_while_a_read_runs_share_the_next_read()
    {
        var table = new HeldTable();
        await using var view = new MembershipView(table, Options.Create(new MembershipOptions()), TimeProvider.System, NullLogger<MembershipView>.Instance);
        var first = view.RefreshAsync(CancellationToken.None);
        await table.FirstReadStarted.Task;

        table.Version = 2; // a change made after the first read began: only a later read sees it
        var refreshes = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => Task.Run(() => Task.FromResult(view.RefreshAsync(CancellationToken.None)))));
        Assert.All(refreshes, refresh => Assert.False(refresh.IsCompleted)); // the first read still holds the table
        table.ReleaseFirstRead.SetResult();

        await first;
        await Task.WhenAll(refreshes).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, table.Reads);
        Assert.Equal(2, view.Current.Version);
    }

    /// <summary>
    /// A refresh asked for from a grain's turn is read and published on no caller's context: the read is shared by every
    /// waiter, and resumed in the mailbox of the grain that asked first, it waited behind that grain's work.
    /// </summary>
    [Fact]
    public async Task A_refresh_asked_for_on_a_context_that_runs_nothing_is_read_and_published()
    {
        var table = new HeldTable { Version = 7 };
        await using var view = new MembershipView(table, Options.Create(new MembershipOptions()), TimeProvider.System, NullLogger<MembershipView>.Instance);
        var told = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = view.Subscribe(snapshot => told.TrySetResult(snapshot.Version));
        var busyGrain = new ContextThatRunsNothing();

        var refresh = busyGrain.Start(() => view.RefreshAsync(CancellationToken.None));
        await table.FirstReadStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        table.ReleaseFirstRead.SetResult();

        Assert.Equal(7, await told.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, busyGrain.Posted);
        await refresh.WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>
    /// A refresh asked for once the view is disposed (a call retried while its silo stops) ends, cancelled, rather than
    /// waiting for good on a read that could not start.
    /// </summary>
    [Fact]
    public async Task A_refresh_asked_for_after_the_view_was_disposed_ends_cancelled()
    {
        var view = new MembershipView(new HeldTable { HeldRead = 0 }, Options.Create(new MembershipOptions()), TimeProvider.System, NullLogger<MembershipView>.Instance);
        await view.DisposeAsync();

        var refresh = view.RefreshAsync(CancellationToken.None);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => refresh.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    /// <summary>
    /// The table's version goes back (restored from a backup, or created again): once a second read confirms it, the
    /// view follows and subscribers are told, rather than the view waiting for the old version to come round again.
    /// </summary>
    [Fact]
    public async Task A_table_whose_version_went_back_is_followed_once_a_second_read_confirms_it()
    {
        var table = new HeldTable { HeldRead = 0, Version = 40 };
        await using var view = new MembershipView(table, Options.Create(new MembershipOptions()), TimeProvider.System, NullLogger<MembershipView>.Instance);
        var told = new List<long>();
        using var subscription = view.Subscribe(snapshot => told.Add(snapshot.Version));
        await view.RefreshAsync(CancellationToken.None);

        table.Version = 3;
        await view.RefreshAsync(CancellationToken.None); // behind: the view asks for another read, which confirms it
        await view.RefreshAsync(CancellationToken.None);

        Assert.Equal(3, view.Current.Version);
        Assert.Equal([40, 3], told);
    }

    /// <summary>One read that finds the table behind (a lagging replica, say) is not followed when the next does not.</summary>
    [Fact]
    public async Task One_read_behind_the_view_alone_is_not_followed()
    {
        var table = new HeldTable { HeldRead = 0, Version = 40, VersionOfRead = read => read == 2 ? 3 : null };
        await using var view = new MembershipView(table, Options.Create(new MembershipOptions()), TimeProvider.System, NullLogger<MembershipView>.Instance);
        var told = new List<long>();
        using var subscription = view.Subscribe(snapshot => told.Add(snapshot.Version));
        await view.RefreshAsync(CancellationToken.None);

        await view.RefreshAsync(CancellationToken.None); // read 2 answers version 3
        table.Version = 41;
        await view.RefreshAsync(CancellationToken.None);

        Assert.Equal(41, view.Current.Version);
        Assert.Equal([40, 41], told);
    }

    /// <summary>
    /// A read that returns an older version than one published while it ran (another reader's newer snapshot) is
    /// dropped: only a read that began after the current snapshot was published shows that the table went back.
    /// </summary>
    [Fact]
    public async Task A_read_overtaken_by_a_newer_snapshot_is_dropped()
    {
        var table = new HeldTable { HeldRead = 2, Version = 5 };
        await using var view = new MembershipView(table, Options.Create(new MembershipOptions()), TimeProvider.System, NullLogger<MembershipView>.Instance);
        await view.RefreshAsync(CancellationToken.None);
        var held = view.RefreshAsync(CancellationToken.None); // reads version 5, and waits
        await table.FirstReadStarted.Task;

        view.Publish(new MembershipSnapshot(7, [])); // the agent's own read after its write
        table.ReleaseFirstRead.SetResult();
        await held;

        Assert.Equal(7, view.Current.Version);
    }
}
