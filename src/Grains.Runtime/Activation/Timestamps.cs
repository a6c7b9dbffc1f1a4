namespace Grains.Activation;

/// <summary>Arithmetic on <see cref="TimeProvider.GetTimestamp"/> values that saturates instead of wrapping.</summary>
internal static class Timestamps
{
    /// <summary>
    /// <paramref name="timestamp"/> moved by <paramref name="span"/>, at most <see cref="long.MaxValue"/> and at least
    /// <see cref="long.MinValue"/>: "for ever" (<see cref="TimeSpan.MaxValue"/>) stays the latest time there is, where a
    /// wrapped sum would be a time long past.
    /// </summary>
    public static long Add(long timestamp, TimeSpan span, long frequency)
    {
        var ticks = span.TotalSeconds * frequency; // a double: saturates rather than overflows
        if (ticks >= long.MaxValue - (double)timestamp)
        {
            return long.MaxValue;
        }

        if (ticks <= long.MinValue - (double)timestamp)
        {
            return long.MinValue;
        }

        return timestamp + (long)ticks;
    }
}
