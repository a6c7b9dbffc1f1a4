namespace Quotas.Core.Tenants;

/// <summary>One quota of a tenant. Create with <see cref="Gauge"/>, <see cref="SlidingWindow"/>, <see cref="TokenBucket"/>,
/// <see cref="Budget"/> or <see cref="Reported"/>; fields that do not apply to the kind keep their defaults.</summary>
/// <remarks>Window: Rate quotas: the window (1 s to 1 day). For a token bucket, <see cref="QuotaLimit.Limit"/> tokens refill per window.</remarks>
/// <remarks>Buckets: Sliding window: number of buckets; must divide the window into whole ticks.</remarks>
/// <remarks>Burst: Token bucket: capacity (starts full).</remarks>
/// <remarks>Period: Budgets: calendar period.</remarks>
public sealed record QuotaDefinition(
    string Name,
    QuotaKind Kind,
    QuotaLimit Limit,
    RateAlgorithm Algorithm = RateAlgorithm.SlidingWindow,
    TimeSpan Window = default,
    int Buckets = 0,
    long Burst = 0,
    BudgetPeriod Period = BudgetPeriod.Day)
{
    /// <summary>Default bucket count of a sliding window: 1/10 window granularity.</summary>
    public const int DefaultBuckets = 10;

    public const int MaxBuckets = 3600;

    public static readonly TimeSpan MinWindow = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxWindow = TimeSpan.FromDays(1);

    /// <summary>
    /// The window a rate quota's <c>RateLimit-Policy</c> announces with its decisions' limit: a sliding window's own;
    /// for a token bucket, whose decisions' limit is its burst, the time it takes to refill from empty, so that the
    /// burst per that window is its rate (100 per minute with a burst of 10: 10 per 6 s).
    /// </summary>
    public TimeSpan PolicyWindow() =>
        Algorithm == RateAlgorithm.TokenBucket ? TimeSpan.FromTicks(Ticks.CeilingDivide(Burst * Window.Ticks, Limit.Limit)) : Window;

    public static QuotaDefinition Gauge(string name, QuotaLimit limit) => Validated(new(name, QuotaKind.Gauge, limit));

    public static QuotaDefinition Reported(string name, QuotaLimit limit) => Validated(new(name, QuotaKind.ReportedGauge, limit));

    public static QuotaDefinition SlidingWindow(string name, QuotaLimit limit, TimeSpan window, int buckets = DefaultBuckets) =>
        Validated(new(name, QuotaKind.Rate, limit, RateAlgorithm.SlidingWindow, window, buckets));

    /// <summary>Refills <paramref name="ratePerWindow"/> tokens per <paramref name="window"/>, holds at most <paramref name="burst"/>.</summary>
    public static QuotaDefinition TokenBucket(string name, long ratePerWindow, TimeSpan window, long burst) =>
        Validated(new(name, QuotaKind.Rate, QuotaLimit.Hard(ratePerWindow), RateAlgorithm.TokenBucket, window, 0, burst));

    public static QuotaDefinition Budget(string name, QuotaLimit limit, BudgetPeriod period) =>
        Validated(new(name, QuotaKind.Budget, limit, Period: period));

    /// <summary>Throws <see cref="QuotaValidationException"/> when the definition is inconsistent.</summary>
    public void Validate()
    {
        QuotaNames.Validate(Name);
        if (Limit is null)
        {
            throw new QuotaValidationException(ValidationCodes.InvalidLimit, $"Quota '{Name}' has no limit: set one (or QuotaLimit.Unlimited).");
        }

        Limit.Validate(Name);
        if (!Enum.IsDefined(Kind))
        {
            throw new QuotaValidationException(ValidationCodes.Invalid, $"Quota '{Name}' has unknown kind '{Kind}'.");
        }

        if (Kind == QuotaKind.Rate && !Limit.IsUnlimited)
        {
            ValidateRate();
        }

        if (Kind == QuotaKind.Budget && !Enum.IsDefined(Period))
        {
            throw new QuotaValidationException(ValidationCodes.Invalid, $"Budget '{Name}' has unknown period '{Period}': use Day, Week or Month.");
        }
    }

    private void ValidateRate()
    {
        if (Window < MinWindow || Window > MaxWindow)
        {
            throw new QuotaValidationException(ValidationCodes.InvalidWindow, $"Rate quota '{Name}' has window {Window}: use 1 second to 1 day.");
        }

        if (Algorithm == RateAlgorithm.SlidingWindow)
        {
            if (Buckets < 1 || Buckets > MaxBuckets || Window.Ticks % Buckets != 0)
            {
                throw new QuotaValidationException(
                    ValidationCodes.InvalidBucketCount,
                    $"Rate quota '{Name}' has {Buckets} buckets: use 1 to {MaxBuckets} buckets that divide the window {Window} evenly (e.g. 10 or 60).");
            }
        }
        else if (Algorithm == RateAlgorithm.TokenBucket)
        {
            if (Limit.Type != LimitType.Hard || Limit.Limit < 1 || Burst < 1 || Burst > QuotaLimit.MaxValue)
            {
                throw new QuotaValidationException(
                    ValidationCodes.InvalidLimit,
                    $"Token bucket '{Name}' needs a hard rate of at least 1 per window and a burst from 1 to {QuotaLimit.MaxValue}.");
            }

            if (Burst > long.MaxValue / Window.Ticks)
            {
                throw new QuotaValidationException(
                    ValidationCodes.InvalidLimit,
                    $"Token bucket '{Name}' burst {Burst} is too large for window {Window}: lower the burst or shorten the window.");
            }
        }
        else
        {
            throw new QuotaValidationException(ValidationCodes.Invalid, $"Rate quota '{Name}' has unknown algorithm '{Algorithm}'.");
        }
    }

    private static QuotaDefinition Validated(QuotaDefinition definition)
    {
        definition.Validate();
        return definition;
    }
}
