namespace Quotas.Core.Tenants;

/// <summary>Admitted units per UTC minute over the last hour (60 counters), for "peak requests per minute".</summary>
internal sealed class PeakRateTracker
{
    private const int Minutes = 60;
    private readonly int[] _perMinute = new int[Minutes];
    private long _headMinute;

    public void Add(long units, DateTimeOffset now)
    {
        Advance(now);
        var slot = (int)(_headMinute % Minutes);
        _perMinute[slot] = (int)Math.Min(int.MaxValue, _perMinute[slot] + units);
    }

    /// <summary>Largest count of any minute of the last hour, the current (partial) minute included.</summary>
    public long Peak(DateTimeOffset now)
    {
        Advance(now);
        return _perMinute.Max();
    }

    private void Advance(DateTimeOffset now)
    {
        var minute = now.UtcTicks / TimeSpan.TicksPerMinute;
        if (minute <= _headMinute)
        {
            return;
        }

        if (minute - _headMinute >= Minutes)
        {
            Array.Clear(_perMinute);
        }
        else
        {
            for (var m = _headMinute + 1; m <= minute; m++)
            {
                _perMinute[(int)(m % Minutes)] = 0;
            }
        }

        _headMinute = minute;
    }
}
