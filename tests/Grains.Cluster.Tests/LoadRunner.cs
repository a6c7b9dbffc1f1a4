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

    public LoadRunner(IGrainFactory grains, IReadOnlyList<string> keys, int workers)
    {
        _grains = grains;
        _keys = keys;
        Tallies = keys.ToDictionary(k => k, _ => new GrainTally());
        _workers = Enumerable.Range(0, workers).Select(seed => Task.Run(() => WorkAsync(seed))).ToArray();
    }

    public IReadOnlyDictionary<string, GrainTally> Tallies { get; }

    public int TotalCalls => Tallies.Values.Sum(t => t.Acknowledged + t.Failures.Count);

    /// <summary>Waits until at least <paramref name="calls"/> more calls have completed (proof that the load is running).</summary>
    public async Task WaitForCallsAsync(int calls, TimeSpan deadline)
    {
        var target = TotalCalls + calls;
        var started = TimeProvider.System.GetTimestamp();
        while (TotalCalls < target)
        {
            if (TimeProvider.System.GetElapsedTime(started) > deadline)
            {
                throw new TimeoutException($"The load made {TotalCalls} calls; expected {target}.");
            }

            await Task.Delay(10);
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
        }
    }
}
