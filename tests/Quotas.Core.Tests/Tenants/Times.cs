namespace Quotas.Core.Tests.Tenants;

internal static class Times
{
    /// <summary>A bucket-aligned instant (midnight UTC) used as t = 0 in the timelines.</summary>
    public static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static DateTimeOffset At(double seconds) => T0.AddTicks((long)(seconds * TimeSpan.TicksPerSecond));

    public static DateTimeOffset Utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) => new(y, mo, d, h, mi, s, TimeSpan.Zero);
}
