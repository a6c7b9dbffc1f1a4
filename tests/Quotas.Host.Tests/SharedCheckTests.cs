namespace Quotas.Host.Tests;

/// <summary>Readiness probes that come together share one check, so a burst of them opens one database connection, not one each.</summary>
public sealed class SharedCheckTests
{
    [Fact]
    public async Task Callers_that_come_while_a_check_runs_share_its_answer_and_a_later_caller_runs_it_again()
    {
        const int Callers = 64;
        var runs = 0;
        var answer = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var shared = new SharedCheck(() =>
        {
            Interlocked.Increment(ref runs);
            return answer.Task;
        });

        // Callers on many threads at once, every one of them in before the check answers.
        var entered = 0;
        var allEntered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var callers = Enumerable.Range(0, Callers).Select(_ => Task.Run(() =>
        {
            var waiting = shared.CheckAsync(CancellationToken.None);
            if (Interlocked.Increment(ref entered) == Callers)
            {
                allEntered.SetResult();
            }

            return waiting;
        })).ToArray();
        await allEntered.Task;
        answer.SetResult("storage unreachable");

        Assert.All(await Task.WhenAll(callers), a => Assert.Equal("storage unreachable", a));
        Assert.Equal(1, Volatile.Read(ref runs));

        Assert.Equal("storage unreachable", await shared.CheckAsync(CancellationToken.None));
        Assert.Equal(2, Volatile.Read(ref runs));
    }

    [Fact]
    public async Task A_caller_that_stops_waiting_leaves_the_run_to_the_others()
    {
        var answer = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var shared = new SharedCheck(() => answer.Task);
        using var gone = new CancellationTokenSource();

        var leaving = shared.CheckAsync(gone.Token);
        var staying = shared.CheckAsync(CancellationToken.None);
        await gone.CancelAsync();
        answer.SetResult(null);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaving);
        Assert.Null(await staying);
    }
}
