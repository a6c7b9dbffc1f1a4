namespace Quotas.Grains.Tests;

/// <summary>
/// <see cref="GroupCommit"/> runs on a grain's one-at-a-time executor; here an exclusive scheduler stands in for it, so
/// the test's steps and the commit's continuations take turns as they would in a grain.
/// </summary>
public sealed class GroupCommitTests
{
    private readonly TaskScheduler _turns = new ConcurrentExclusiveSchedulerPair().ExclusiveScheduler;

    [Fact]
    public async Task Waiting_for_what_was_changed_starts_no_write_of_its_own()
    {
        var writes = 0;
        var stored = new TaskCompletionSource();
        var commit = new GroupCommit(() => { writes++; return stored.Task; }, () => { });
        Assert.True(commit.SettledAsync().IsCompleted);

        var changed = await Turn(commit.PersistAsync);
        var settled = await Turn(commit.SettledAsync); // a turn after the write started
        Assert.Equal(1, writes);
        Assert.False(settled.IsCompleted);

        stored.SetResult();
        await Task.WhenAll(changed, settled).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, writes);
    }

    [Fact]
    public async Task A_restore_that_throws_still_answers_the_callers_and_a_later_change_is_written()
    {
        var writes = 0;
        var failing = true;
        var commit = new GroupCommit(
            () => ++writes > 0 && failing ? Task.FromException(new InvalidOperationException("write failed")) : Task.CompletedTask,
            () => throw new InvalidOperationException("restore failed"));

        var lost = await Turn(commit.PersistAsync);
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => lost.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("write failed", failure.Message);

        failing = false;
        await (await Turn(commit.PersistAsync)).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, writes);
    }

    private Task<Task> Turn(Func<Task> step) => Task.Factory.StartNew(step, CancellationToken.None, TaskCreationOptions.None, _turns);
}
