using Quotas.Core.Tenants;

namespace Quotas.Core.Billing;

/// <summary>
/// A tenant's recorded usage summed per meter into UTC hours, UTC days and calendar months, the figures a platform
/// bills from. Kept with the tenant's state, so a usage event and its place in the rollups are stored in one write
/// and counted once; each granularity keeps a bounded number of buckets (<see cref="Kept"/>), the oldest dropped as
/// new ones start.
/// </summary>
public sealed class UsageRollups
{
    private readonly SortedDictionary<string, MeterSeries> _meters = new(StringComparer.Ordinal);

    /// <summary>How many buckets of a granularity are kept, counting the current one: two days of hours, enough days
    /// for the current and the previous month, and thirteen months for a year's statements and the one in progress.</summary>
    public static int Kept(RollupGranularity granularity) => granularity switch
    {
        RollupGranularity.Hour => 48,
        RollupGranularity.Day => 62,
        RollupGranularity.Month => 13,
        _ => throw new ArgumentOutOfRangeException(nameof(granularity), granularity, "Unknown granularity."),
    };

    public bool IsEmpty => _meters.Count == 0;

    /// <summary>Counts <paramref name="amount"/> of <paramref name="meter"/> in the hour, day and month of <paramref name="at"/>.</summary>
    public void Add(string meter, long amount, DateTimeOffset at)
    {
        if (amount <= 0)
        {
            return;
        }

        if (!_meters.TryGetValue(meter, out var series))
        {
            series = new MeterSeries();
            _meters.Add(meter, series);
        }

        series.Add(amount, at);
    }

    /// <summary>
    /// The buckets of <paramref name="granularity"/> that overlap [<paramref name="from"/>, <paramref name="to"/>), of
    /// one meter or all, among those kept at <paramref name="now"/>.
    /// </summary>
    public IReadOnlyList<UsageBucket> Buckets(RollupGranularity granularity, DateTimeOffset from, DateTimeOffset to, string? meter, DateTimeOffset now)
    {
        var first = Math.Max(BucketIndex.Of(granularity, from), OldestKeptIndex(granularity, now));
        var end = to > from ? BucketIndex.Of(granularity, to.AddTicks(-1)) + 1 : first;
        var buckets = new List<UsageBucket>();
        foreach (var (name, series) in _meters)
        {
            if (meter is not null && name != meter)
            {
                continue;
            }

            foreach (var (index, amount) in series.Of(granularity))
            {
                if (index >= first && index < end)
                {
                    buckets.Add(new UsageBucket(name, BucketIndex.StartOf(granularity, index), amount));
                }
            }
        }

        return buckets;
    }

    /// <summary>Each meter's usage in the calendar month starting at <paramref name="monthStart"/> (UTC), when that month is still kept at <paramref name="now"/>.</summary>
    public IReadOnlyDictionary<string, long> MonthTotals(DateTimeOffset monthStart, DateTimeOffset now)
    {
        var totals = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var bucket in Buckets(RollupGranularity.Month, monthStart, monthStart.AddMonths(1), meter: null, now))
        {
            totals[bucket.Meter] = bucket.Amount;
        }

        return totals;
    }

    /// <summary>The start of the oldest bucket of <paramref name="granularity"/> kept at <paramref name="now"/>.</summary>
    public static DateTimeOffset OldestKept(RollupGranularity granularity, DateTimeOffset now) =>
        BucketIndex.StartOf(granularity, OldestKeptIndex(granularity, now));

    private static long OldestKeptIndex(RollupGranularity granularity, DateTimeOffset now) =>
        BucketIndex.Of(granularity, now) - Kept(granularity) + 1;

    internal List<UsageSeriesSnapshot>? ToSnapshot()
    {
        if (_meters.Count == 0)
        {
            return null;
        }

        var snapshot = new List<UsageSeriesSnapshot>(_meters.Count * 3);
        foreach (var (meter, series) in _meters)
        {
            foreach (var granularity in (ReadOnlySpan<RollupGranularity>)[RollupGranularity.Hour, RollupGranularity.Day, RollupGranularity.Month])
            {
                var buckets = series.Of(granularity);
                snapshot.Add(new UsageSeriesSnapshot(meter, granularity, [.. buckets.Select(b => b.Index)], [.. buckets.Select(b => b.Amount)]));
            }
        }

        return snapshot;
    }

    /// <summary>Takes back what <see cref="ToSnapshot"/> stored; a series that does not read as one (a row edited by hand) is left out.</summary>
    internal void Restore(IEnumerable<UsageSeriesSnapshot>? snapshot)
    {
        foreach (var series in snapshot ?? [])
        {
            if (series is not { Starts: { } starts, Amounts: { } amounts } || starts.Length != amounts.Length
                || !QuotaNames.IsValid(series.Meter) || !Enum.IsDefined(series.Granularity))
            {
                continue;
            }

            if (!_meters.TryGetValue(series.Meter, out var meter))
            {
                meter = new MeterSeries();
                _meters.Add(series.Meter, meter);
            }

            for (var i = 0; i < starts.Length; i++)
            {
                if (amounts[i] > 0)
                {
                    meter.Restore(series.Granularity, starts[i], amounts[i]);
                }
            }
        }
    }

    /// <summary>One meter's buckets of each granularity, oldest first.</summary>
    private sealed class MeterSeries
    {
        private readonly List<(long Index, long Amount)> _hours = [];
        private readonly List<(long Index, long Amount)> _days = [];
        private readonly List<(long Index, long Amount)> _months = [];

        public List<(long Index, long Amount)> Of(RollupGranularity granularity) => granularity switch
        {
            RollupGranularity.Hour => _hours,
            RollupGranularity.Day => _days,
            _ => _months,
        };

        public void Add(long amount, DateTimeOffset at)
        {
            foreach (var granularity in (ReadOnlySpan<RollupGranularity>)[RollupGranularity.Hour, RollupGranularity.Day, RollupGranularity.Month])
            {
                AddTo(Of(granularity), BucketIndex.Of(granularity, at), amount, Kept(granularity));
            }
        }

        public void Restore(RollupGranularity granularity, long index, long amount) =>
            AddTo(Of(granularity), index, amount, Kept(granularity));

        /// <summary>
        /// Adds to the bucket, found from the newest end (usage is recorded now, so it is nearly always the last one);
        /// a bucket older than any kept (a clock stepped back past the retention) is counted in the oldest kept.
        /// </summary>
        private static void AddTo(List<(long Index, long Amount)> buckets, long index, long amount, int kept)
        {
            var newest = buckets.Count == 0 ? index : Math.Max(index, buckets[^1].Index);
            index = Math.Max(index, newest - kept + 1);
            var at = buckets.Count;
            while (at > 0 && buckets[at - 1].Index > index)
            {
                at--;
            }

            if (at > 0 && buckets[at - 1].Index == index)
            {
                buckets[at - 1] = (index, Saturating.Add(buckets[at - 1].Amount, amount));
            }
            else
            {
                buckets.Insert(at, (index, amount));
            }

            var stale = 0;
            while (stale < buckets.Count && buckets[stale].Index <= newest - kept)
            {
                stale++;
            }

            buckets.RemoveRange(0, stale);
        }
    }
}

/// <summary>
/// What a tenant stores of one meter's buckets of one granularity: <paramref name="Starts"/> are bucket numbers
/// (hours or days since 0001-01-01 UTC, months as year × 12 + month − 1) and <paramref name="Amounts"/> their sums.
/// Numbers rather than times keep a busy tenant's row small.
/// </summary>
public sealed record UsageSeriesSnapshot(string Meter, RollupGranularity Granularity, long[] Starts, long[] Amounts);

/// <summary>Numbers the buckets of a granularity, so that consecutive buckets have consecutive numbers.</summary>
internal static class BucketIndex
{
    public static long Of(RollupGranularity granularity, DateTimeOffset time)
    {
        var utc = time.UtcDateTime;
        return granularity switch
        {
            RollupGranularity.Hour => utc.Ticks / TimeSpan.TicksPerHour,
            RollupGranularity.Day => utc.Ticks / TimeSpan.TicksPerDay,
            _ => (utc.Year * 12L) + utc.Month - 1,
        };
    }

    public static DateTimeOffset StartOf(RollupGranularity granularity, long index)
    {
        // Clamped into the calendar: a caller's far-off bound must not throw here.
        return granularity switch
        {
            RollupGranularity.Hour => new DateTimeOffset(Math.Clamp(index, 0, DateTime.MaxValue.Ticks / TimeSpan.TicksPerHour) * TimeSpan.TicksPerHour, TimeSpan.Zero),
            RollupGranularity.Day => new DateTimeOffset(Math.Clamp(index, 0, DateTime.MaxValue.Ticks / TimeSpan.TicksPerDay) * TimeSpan.TicksPerDay, TimeSpan.Zero),
            _ => MonthStart(Math.Clamp(index, 12, (9999 * 12) + 11)),
        };
    }

    private static DateTimeOffset MonthStart(long index) => new((int)(index / 12), (int)(index % 12) + 1, 1, 0, 0, 0, TimeSpan.Zero);
}
