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
    /// <summary>Every granularity, finest first; a meter's rings are in this order.</summary>
    private static readonly RollupGranularity[] s_granularities = [RollupGranularity.Hour, RollupGranularity.Day, RollupGranularity.Month];

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

            foreach (var (index, amount) in series.Of(granularity).WithUsage())
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

    /// <summary>Where the current bucket of <paramref name="granularity"/> at <paramref name="now"/> ends: no usage is counted after it yet.</summary>
    public static DateTimeOffset CurrentEnds(RollupGranularity granularity, DateTimeOffset now) =>
        BucketIndex.StartOf(granularity, BucketIndex.Of(granularity, now) + 1);

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
            foreach (var granularity in s_granularities)
            {
                if (series.Of(granularity).ToSnapshot() is var (first, amounts) && amounts.Length > 0)
                {
                    snapshot.Add(new UsageSeriesSnapshot(meter, granularity, first, amounts));
                }
            }
        }

        return snapshot;
    }

    /// <summary>Takes back what <see cref="ToSnapshot"/> stored; a series that does not read as one (a row edited by hand) is left out.</summary>
    internal void Restore(IEnumerable<UsageSeriesSnapshot>? snapshot)
    {
        foreach (var series in snapshot ?? [])
        {
            if (series is not { Amounts: { } amounts } || !QuotaNames.IsValid(series.Meter) || !Enum.IsDefined(series.Granularity)
                || series.First < 0 || amounts.Length > Kept(series.Granularity) || series.First > BucketIndex.Of(series.Granularity, DateTimeOffset.MaxValue) - amounts.Length)
            {
                continue;
            }

            if (!_meters.TryGetValue(series.Meter, out var meter))
            {
                meter = new MeterSeries();
                _meters.Add(series.Meter, meter);
            }

            var buckets = meter.Of(series.Granularity);
            for (var i = 0; i < amounts.Length; i++)
            {
                if (amounts[i] > 0)
                {
                    buckets.Add(series.First + i, amounts[i]);
                }
            }
        }
    }

    /// <summary>One meter's buckets of each granularity, a ring each, in the order of <see cref="s_granularities"/>.</summary>
    private sealed class MeterSeries
    {
        private readonly BucketRing[] _rings = [.. s_granularities.Select(g => new BucketRing(Kept(g)))];

        public BucketRing Of(RollupGranularity granularity) => _rings[(int)granularity];

        public void Add(long amount, DateTimeOffset at)
        {
            foreach (var granularity in s_granularities)
            {
                Of(granularity).Add(BucketIndex.Of(granularity, at), amount);
            }
        }
    }

    /// <summary>
    /// The newest buckets of one granularity, as many as are kept, in a ring: a fixed size whatever the usage, and a
    /// new bucket drops the oldest. Usage older than every bucket kept (a clock stepped back that far) is not counted at
    /// this granularity, as it would no longer be answered; the coarser ones still count it.
    /// </summary>
    private sealed class BucketRing(int kept)
    {
        private readonly long[] _amounts = new long[kept];
        private long _newest = -1;

        public void Add(long index, long amount)
        {
            if (_newest < 0)
            {
                _newest = index;
            }
            else if (index > _newest)
            {
                // The buckets between the newest and this one start empty, in the slots of the ones they drop.
                for (var i = _newest + 1; i <= index && i <= _newest + kept; i++)
                {
                    _amounts[i % kept] = 0;
                }

                _newest = index;
            }
            else if (index <= _newest - kept)
            {
                return;
            }

            _amounts[index % kept] = Saturating.Add(_amounts[index % kept], amount);
        }

        /// <summary>The buckets with usage, oldest first.</summary>
        public IEnumerable<(long Index, long Amount)> WithUsage()
        {
            for (var index = Math.Max(0, _newest - kept + 1); _newest >= 0 && index <= _newest; index++)
            {
                if (_amounts[index % kept] > 0)
                {
                    yield return (index, _amounts[index % kept]);
                }
            }
        }

        /// <summary>The buckets from the oldest with usage to the newest with usage, by their first index.</summary>
        public (long First, long[] Amounts) ToSnapshot()
        {
            var withUsage = WithUsage().ToList();
            if (withUsage.Count == 0)
            {
                return (0, []);
            }

            var first = withUsage[0].Index;
            var amounts = new long[withUsage[^1].Index - first + 1];
            foreach (var (index, amount) in withUsage)
            {
                amounts[index - first] = amount;
            }

            return (first, amounts);
        }
    }
}

/// <summary>
/// What a tenant stores of one meter's buckets of one granularity: the amounts of consecutive buckets, the first
/// numbered <paramref name="First"/> (hours or days since 0001-01-01 UTC, months as year × 12 + month − 1). Numbers
/// rather than times keep a busy tenant's row small.
/// </summary>
public sealed record UsageSeriesSnapshot(string Meter, RollupGranularity Granularity, long First, long[] Amounts);

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
