namespace Quotas.Core.Tenants;

/// <summary>A token bucket in exact integer arithmetic: refills <c>rate</c> tokens per window, holds at most <c>burst</c>, starts full.</summary>
/// <remarks>Tokens are kept scaled by the window length in ticks, so one tick adds exactly <c>rate</c> scaled units: no drift,
/// no floating point. Time going backwards refills nothing.</remarks>
public sealed class TokenBucket
{
    private readonly long _rate;
    private readonly long _windowTicks;
    private readonly long _capacity;
    private long _scaled;
    private long _lastTicks;

    public TokenBucket(long ratePerWindow, TimeSpan window, long burst, DateTimeOffset now)
    {
        _rate = ratePerWindow;
        _windowTicks = window.Ticks;
        _capacity = burst * _windowTicks;
        _scaled = _capacity;
        _lastTicks = now.UtcTicks;
    }

    public long Burst => _capacity / _windowTicks;

    /// <summary>Whole tokens available at <paramref name="now"/>.</summary>
    public long Available(DateTimeOffset now)
    {
        Refill(now.UtcTicks);
        return _scaled / _windowTicks;
    }

    /// <summary>Takes <paramref name="cost"/> tokens (cost at most the burst) when available.</summary>
    public bool TryTake(long cost, DateTimeOffset now)
    {
        Refill(now.UtcTicks);
        var need = cost * _windowTicks;
        if (_scaled < need)
        {
            return false;
        }

        _scaled -= need;
        return true;
    }

    /// <summary>Puts back <paramref name="cost"/> tokens taken by a hit that an ancestor refused; never above the burst.</summary>
    public void Return(long cost, DateTimeOffset now)
    {
        Refill(now.UtcTicks);

        // What fits up to the burst, never the sum first: a burst may fill nearly all of a long once scaled.
        _scaled += Math.Min(_capacity - _scaled, cost * _windowTicks);
    }

    public TimeSpan TimeUntilAvailable(long cost, DateTimeOffset now)
    {
        Refill(now.UtcTicks);
        return TicksFor((cost * _windowTicks) - _scaled);
    }

    public TimeSpan TimeUntilFull(DateTimeOffset now)
    {
        Refill(now.UtcTicks);
        return TicksFor(_capacity - _scaled);
    }

    /// <summary>The bucket's tokens, to hand over to the tenant's next activation; null when it is full (a new one starts full).</summary>
    internal RateCountsSnapshot? Save(QuotaDefinition quota, DateTimeOffset now)
    {
        Refill(now.UtcTicks);
        return _scaled >= _capacity ? null : new RateCountsSnapshot(quota, Tokens: _scaled, At: new DateTimeOffset(_lastTicks, TimeSpan.Zero));
    }

    /// <summary>A bucket of this shape holding what <paramref name="saved"/> held (see <see cref="Save"/>); null when that cannot fit it.</summary>
    internal static TokenBucket? Restore(long ratePerWindow, TimeSpan window, long burst, RateCountsSnapshot saved)
    {
        if (saved.Tokens is not { } scaled || saved.At is not { } at)
        {
            return null;
        }

        var bucket = new TokenBucket(ratePerWindow, window, burst, at);
        if (scaled < 0 || scaled > bucket._capacity)
        {
            return null;
        }

        bucket._scaled = scaled;
        return bucket;
    }

    /// <summary>
    /// This bucket under a new rate or burst (same window): the tokens it has spent stay spent, as a sliding window keeps
    /// its counts under a new limit, so a tenant throttled by a lower rate gets no full burst with it.
    /// </summary>
    internal TokenBucket Resized(long ratePerWindow, long burst, DateTimeOffset now)
    {
        Refill(now.UtcTicks);
        var spent = _capacity - _scaled;
        var resized = new TokenBucket(ratePerWindow, TimeSpan.FromTicks(_windowTicks), burst, now);
        resized._scaled = Math.Max(0, resized._capacity - spent);
        return resized;
    }

    private TimeSpan TicksFor(long missing) => TimeSpan.FromTicks(Ticks.CeilingDivide(missing, _rate));

    private void Refill(long nowTicks)
    {
        var elapsed = nowTicks - _lastTicks;
        if (elapsed <= 0)
        {
            // A clock that went back refills from its new time on, not once it has caught up with the old one.
            _lastTicks = Math.Min(_lastTicks, nowTicks);
            return;
        }

        _lastTicks = nowTicks;
        var missing = _capacity - _scaled;
        _scaled = elapsed >= Ticks.CeilingDivide(missing, _rate) ? _capacity : _scaled + (elapsed * _rate);
    }
}
