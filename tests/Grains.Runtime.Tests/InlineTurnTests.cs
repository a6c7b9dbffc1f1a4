using Grains.Runtime.Tests.Grains;

namespace Grains.Runtime.Tests;

/// <summary>
/// A call from outside any activation to an idle activation runs its turn on the caller's thread; calls made inside a
/// turn are queued as always, and the caller's ambient context is left as it was.
/// </summary>
public sealed class InlineTurnTests
{
    // An activation is idle again only once its executor has let go after the previous turn; a few calls suffice.
    private const int Attempts = 100;

    [Fact]
    public async Task A_call_from_outside_to_an_idle_activation_runs_on_the_callers_thread_and_is_answered_at_once()
    {
        await using var cluster = await Clusters.StartAsync(new LifecycleProbe());
        var grain = cluster.GrainFactory.GetGrain<IInlineTurnGrain>("inline");
        await grain.ThreadId();

        var inline = 0;
        for (var attempt = 0; attempt < Attempts && inline == 0; attempt++)
        {
            var caller = Environment.CurrentManagedThreadId;
            var call = grain.ThreadId();
            if (call.IsCompleted)
            {
                Assert.Equal(caller, await call);
                inline++;
            }
            else
            {
                await call;
            }
        }

        Assert.Equal(1, inline);
    }

    [Fact]
    public async Task A_call_made_inside_a_turn_is_queued_not_run_inside_that_turn()
    {
        await using var cluster = await Clusters.StartAsync(new LifecycleProbe());
        var caller = cluster.GrainFactory.GetGrain<IInlineTurnGrain>("caller");
        var callee = cluster.GrainFactory.GetGrain<IInlineTurnGrain>("callee");
        await caller.ThreadId();
        await callee.ThreadId();

        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            Assert.False(await caller.CalleeRanInsideMyTurn("callee"));
        }
    }

    [Fact]
    public async Task An_inline_turn_leaves_the_callers_ambient_context_as_it_was()
    {
        await using var cluster = await Clusters.StartAsync(new LifecycleProbe());
        var grain = cluster.GrainFactory.GetGrain<IInlineTurnGrain>("ambient");
        await grain.ThreadId();
        InlineTurnGrain.Ambient.Value = "caller";

        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            await grain.SetAmbient($"grain {attempt}");
            Assert.Equal("caller", InlineTurnGrain.Ambient.Value);
        }
    }
}
