using System.Collections.Concurrent;
using Grains.Cluster.TestGrains;

namespace Grains.Cluster.Tests;

/// <summary>What happened to the calls made to one grain.</summary>
internal sealed class GrainTally
{
    private int _acknowledged;
    private int _unknownOutcome;

    public int Acknowledged => Volatile.Read(ref _acknowledged);

    /// <summary>Calls whose connection was lost after sending: they may or may not have run.</summary>
    public int UnknownOutcome => Volatile.Read(ref _unknownOutcome);

    public ConcurrentQueue<(DateTimeOffset At, Exception Error)> Failures { get; } = new();

    public ConcurrentQueue<DateTimeOffset> Successes { get; } = new();

    public void Succeeded(DateTimeOffset at)
    {
        Interlocked.Increment(ref _acknowledged);
        Successes.Enqueue(at);
    }

    public void Failed(DateTimeOffset at, Exception error)
    {
        if (error is GrainConnectionLostException)
        {
            Interlocked.Increment(ref _unknownOutcome);
        }

        Failures.Enqueue((at, error));
    }
}

/// <summary>Steady load: workers add 1 to random grains, one call at a time each, and tally every outcome.</summary>
internal sealed class LoadRunner : IAsyncDisposable
{
    private readonly IGrainFactory _grains;
    private readonly IReadOnlyList<string> _keys;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _workers;

    // Completed calls, and the count one waiter waits for (signalled by the worker whose call reaches it).
    private int _completed;
    private int _target = int.MaxValue;
    private TaskCompletionSource? _reached;

    public LoadRunner(IGrainFactory grains, IReadOnlyList<string> keys, int workers)
    {
        _grains = grains;
        _keys = keys;
        Tallies = keys.ToDictionary(k => k, _ => new GrainTally());
        _workers = Enumerable.Range(0, workers).Select(seed => Task.Run(() => WorkAsync(seed))).ToArray();
    }

    public IReadOnlyDictionary<string, GrainTally> Tallies { get; }

    /// <summary>Waits until at least <paramref name="calls"/> more calls have completed (proof that the load is running).</summary>
    public async Task WaitForCallsAsync(int calls, TimeSpan deadline)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // The signal before the target: a worker that sees the new target also sees the signal to set.
        Volatile.Write(ref _reached, reached);
        var target = Volatile.Read(ref _completed) + calls;
        Volatile.Write(ref _target, target);
        if (Volatile.Read(ref _completed) >= target)
        {
            reached.TrySetResult();
        }

        try
        {
            await reached.Task.WaitAsync(deadline);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The load completed {Volatile.Read(ref _completed)} calls; expected {target} within {deadline}.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
        _stop.Dispose();
    }

    private async Task WorkAsync(int seed)
    {
        var random = new Random(seed);
        while (!_stop.IsCancellationRequested)
        {
            var key = _keys[random.Next(_keys.Count)];
            try
            {
                await _grains.GetGrain<IPlacedGrain>(key).Add(1);
                Tallies[key].Succeeded(DateTimeOffset.UtcNow);
            }
            catch (Exception error)
            {
                Tallies[key].Failed(DateTimeOffset.UtcNow, error);
            }

            if (Interlocked.Increment(ref _completed) >= Volatile.Read(ref _target))
            {
                Volatile.Read(ref _reached)?.TrySetResult();
            }
        }
    }
}
