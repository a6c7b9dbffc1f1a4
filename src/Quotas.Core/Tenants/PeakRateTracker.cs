namespace Quotas.Core.Tenants;

/// <summary>Admitted units per UTC minute over the last hour (60 counters), for "peak requests per minute".</summary>
/// <remarks>Like <see cref="SlidingWindowCounter"/>, an add inside the current minute compares one tick count and divides nothing.</remarks>
internal sealed class PeakRateTracker
{
    private const int Minutes = 60;
    private PerMinute _perMinute;
    private long _headMinute;
    private int _headSlot;
    private long _nextMinuteTicks = TimeSpan.TicksPerMinute;
    private long _lastAddedMinute;

    public void Add(long units, DateTimeOffset now)
    {
        Advance(now.UtcTicks);
        _perMinute[_headSlot] = Saturating.Add(_perMinute[_headSlot], units);
        _lastAddedMinute = _headMinute;
    }

    /// <summary>Takes back units of the last <see cref="Add"/>, which were not admitted after all; nothing once that minute has passed.</summary>
    public void TakeBackLast(long units, DateTimeOffset now)
    {
        Advance(now.UtcTicks);
        if (_lastAddedMinute == _headMinute)
        {
            _perMinute[_headSlot] = Math.Max(0, _perMinute[_headSlot] - units);
        }
    }

    /// <summary>Largest count of any minute of the last hour, the current (partial) minute included.</summary>
    public long Peak(DateTimeOffset now)
    {
        Advance(now.UtcTicks);
        long peak = 0;
        foreach (var count in (ReadOnlySpan<long>)_perMinute)
        {
            peak = Math.Max(peak, count);
        }

        return peak;
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
            ((Span<long>)_perMinute).Clear();
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

    /// <summary>
    /// The counters inside the object: one allocation, and the slot a check touches is near the fields it reads. Longs:
    /// a hit may cost up to 2^53 units, and a minute's sum must not stop at int's 2^31.
    /// </summary>
    [System.Runtime.CompilerServices.InlineArray(Minutes)]
    private struct PerMinute
    {
        private long _first;
    }
}
