using System.Threading.Channels;
using Grains.Testing;

namespace Quotas.Gateway.Tests.Sdk;

/// <summary>
/// A manual clock that reports every timer created on it, so a test can wait for the SDK to start its retry delay,
/// read how long it is, and move time exactly that far.
/// </summary>
internal sealed class RecordingTimeProvider(ManualTimeProvider clock) : TimeProvider
{
    private readonly Channel<TimeSpan> _delays = Channel.CreateUnbounded<TimeSpan>();

    public RecordingTimeProvider()
        : this(new ManualTimeProvider())
    {
    }

    public ManualTimeProvider Clock => clock;

    public override DateTimeOffset GetUtcNow() => clock.GetUtcNow();

    public override long GetTimestamp() => clock.GetTimestamp();

    public override long TimestampFrequency => clock.TimestampFrequency;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = clock.CreateTimer(callback, state, dueTime, period);
        if (dueTime != Timeout.InfiniteTimeSpan)
        {
            // A timer created unarmed (a watchdog armed later) is no delay the code under test waits for.
            _delays.Writer.TryWrite(dueTime);
        }

        return timer;
    }

    /// <summary>The next delay the code under test started; fails the test when none starts within 30 s.</summary>
    public async Task<TimeSpan> NextDelayAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            return await _delays.Reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException("No retry delay was started within 30 s.");
        }
    }

    public bool HasPendingDelay => _delays.Reader.TryPeek(out _);
}
