namespace Quotas.Core.Tenants;

/// <summary>Admitted units per UTC minute over the last hour (60 counters), for "peak requests per minute".</summary>
/// <remarks>Like <see cref="SlidingWindowCounter"/>, an add inside the current minute compares one tick count and divides nothing.</remarks>
internal sealed class PeakRateTracker
{
    private const int Minutes = 60;
    private readonly int[] _perMinute = new int[Minutes];
    private long _headMinute;
    private int _headSlot;
    private long _nextMinuteTicks = TimeSpan.TicksPerMinute;

    public void Add(long units, DateTimeOffset now)
    {
        Advance(now.UtcTicks);
        _perMinute[_headSlot] = (int)Math.Min(int.MaxValue, _perMinute[_headSlot] + units);
    }

    /// <summary>Largest count of any minute of the last hour, the current (partial) minute included.</summary>
    public long Peak(DateTimeOffset now)
    {
        Advance(now.UtcTicks);
        return _perMinute.Max();
    }

    private void Advance(long nowTicks)
    {
        if (nowTicks < _nextMinuteTicks)
        {
            return;
        }

        var minute = nowTicks / TimeSpan.TicksPerMinute;
        if (minute - _headMinute >= Minutes)
        {
            Array.Clear(_perMinute);
            _headSlot = (int)(minute % Minutes);
        }
        else
        {
            for (var m = _headMinute; m < minute; m++)
            {
                if (++_headSlot == Minutes)
                {
                    _headSlot = 0;
                }

                _perMinute[_headSlot] = 0;
            }
        }

        _headMinute = minute;
        _nextMinuteTicks = (minute + 1) * TimeSpan.TicksPerMinute;
    }
}
