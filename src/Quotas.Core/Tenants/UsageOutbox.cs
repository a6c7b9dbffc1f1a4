namespace Quotas.Core.Tenants;

/// <summary>
/// An amount of one budget quota recorded within the 15-minute UTC slot starting at <paramref name="Slot"/>. Every
/// time zone's offset is a multiple of 15 minutes, so a slot never straddles the start of a day, week or month in
/// any zone, and a parent counts the amount in the period it was recorded in, whatever its own zone.
/// </summary>
public sealed record QuotaAmount(string Quota, long Amount, DateTimeOffset Slot)
{
    public static readonly TimeSpan SlotLength = TimeSpan.FromMinutes(15);

    public static DateTimeOffset SlotOf(DateTimeOffset time) =>
        new(time.UtcTicks - (time.UtcTicks % SlotLength.Ticks), TimeSpan.Zero);
}

/// <summary>
/// Budget usage a child sends its parent in one delivery. <paramref name="Sequence"/> numbers the child's deliveries
/// in its life, from 1; the parent counts each once, and a retry of one it counted changes nothing.
/// </summary>
public sealed record UsageBatch(long Sequence, IReadOnlyList<QuotaAmount> Amounts);

/// <summary>
/// Budget usage recorded by a tenant with a parent that the parent has not counted yet. Usage counts against every
/// ancestor, but recording it must not wait on them, so it goes up apart from the call, one level at a time: each
/// parent counts a delivery in its own budgets and puts it in its own outbox in the same write.
/// </summary>
/// <remarks>
/// Amounts add up per quota and 15-minute slot, so the outbox holds a few entries while the parent answers, and gains
/// at most one per budget every 15 minutes while it does not. Delivery is exactly once: a batch is cut (and stored)
/// before it is sent, is sent again unchanged until the parent acknowledges it, and the parent remembers the last
/// batch it counted from each child's life. A life is a random id given when the outbox is first used, so that a
/// tenant deleted and created again under its id is never mistaken for its former self.
/// </remarks>
public sealed class UsageOutbox
{
    private const int MaxLifeLength = 64;

    /// <summary>
    /// How long after its slot an amount can still fall in a budget period open somewhere: a month (the longest period)
    /// and the widest spread of UTC offsets, with a margin. No ancestor counts an older amount, so the outbox keeps none:
    /// while its parent cannot take a delivery (it runs a release that refuses it, or its row does not read), the
    /// outbox stays at most this long instead of gaining an entry per budget every 15 minutes for good.
    /// </summary>
    public static readonly TimeSpan MaxCountableAge = TimeSpan.FromDays(35);

    // When pending amounts were last aged out: once a slot is enough.
    private long _agedAtTicks;

    /// <summary>Null while nothing is pending: most tenants never send anything, and an empty sorted dictionary is not free.</summary>
    private SortedDictionary<(string Quota, long SlotTicks), long>? _pending;

    /// <summary>This tenant's life among its parent's children; null until the first usage to send.</summary>
    public string? Life { get; private set; }

    /// <summary>The last batch cut; the next is one more.</summary>
    public long LastSequence { get; private set; }

    /// <summary>The batch sent and not yet acknowledged; null when none.</summary>
    public UsageBatch? InFlight { get; private set; }

    public bool IsEmpty => InFlight is null && _pending is null;

    /// <summary>Usage recorded since the last batch was cut, oldest slot first within each quota.</summary>
    public IReadOnlyList<QuotaAmount> Pending => _pending is null ? [] : [.. _pending.Select(p => new QuotaAmount(p.Key.Quota, p.Value, new DateTimeOffset(p.Key.SlotTicks, TimeSpan.Zero)))];

    /// <summary>Usage recorded now, at <paramref name="recordedAt"/>.</summary>
    public void Add(string quota, long amount, DateTimeOffset recordedAt) => Add(quota, amount, recordedAt, recordedAt);

    /// <summary>
    /// Usage of the slot holding <paramref name="recordedAt"/>, added at <paramref name="now"/> (a child's delivery
    /// passed up: its slots are the child's, on another silo's clock). What no ancestor could count any more at
    /// <paramref name="now"/> is not kept; a slot ahead of <paramref name="now"/> changes nothing of that.
    /// </summary>
    public void Add(string quota, long amount, DateTimeOffset recordedAt, DateTimeOffset now)
    {
        Life ??= NewLife();
        var oldest = now.UtcTicks - MaxCountableAge.Ticks;
        if (now.UtcTicks - _agedAtTicks >= QuotaAmount.SlotLength.Ticks)
        {
            _agedAtTicks = now.UtcTicks;
            ForgetOlderThan(oldest);
        }

        var slot = QuotaAmount.SlotOf(recordedAt).UtcTicks;
        if (slot < oldest)
        {
            return; // no ancestor would count it
        }

        AddToSlot(quota, amount, slot);
    }

    private void AddToSlot(string quota, long amount, long slotTicks)
    {
        var key = (quota, slotTicks);
        _pending ??= new(PendingOrder.Instance);
        _pending[key] = Saturating.Add(_pending.GetValueOrDefault(key), amount);
    }

    private void ForgetOlderThan(long oldestTicks)
    {
        if (_pending is null)
        {
            return;
        }

        foreach (var key in _pending.Keys.Where(key => key.SlotTicks < oldestTicks).ToList())
        {
            _pending.Remove(key);
        }

        if (_pending.Count == 0)
        {
            _pending = null;
        }
    }

    /// <summary>
    /// The batch to send: the one in flight, or a new one of everything pending (which the caller stores before it
    /// sends it); null when there is nothing to send. <paramref name="cut"/> says whether a new batch was cut.
    /// </summary>
    public UsageBatch? NextBatch(out bool cut)
    {
        cut = false;
        if (InFlight is not null || _pending is null)
        {
            return InFlight;
        }

        InFlight = new UsageBatch(++LastSequence, Pending);
        _pending = null;
        cut = true;
        return InFlight;
    }

    /// <summary>The parent counted batch <paramref name="sequence"/> (or holds nothing for it, being gone).</summary>
    public bool Acknowledge(long sequence)
    {
        if (InFlight?.Sequence != sequence)
        {
            return false;
        }

        InFlight = null;
        return true;
    }

    /// <summary>Drops everything not yet counted: the parent is gone, and its ancestors count nothing of this tenant any more.</summary>
    public void Drop()
    {
        InFlight = null;
        _pending = null;
    }

    internal void Restore(UsageOutboxSnapshot snapshot)
    {
        // A life the parent could not take (a row edited by hand) is replaced: the parent sees a new child life.
        Life = snapshot.Life is { Length: > 0 and <= MaxLifeLength } life && life.All(char.IsAsciiLetterOrDigit) ? life : NewLife();
        LastSequence = snapshot.LastSequence;

        // A batch the parent would refuse at every attempt (a row edited by hand: no amounts, an entry without a
        // quota) is dropped rather than kept in flight for good.
        InFlight = snapshot.InFlight is { Sequence: >= 1, Amounts: { } amounts } inFlight && inFlight.Sequence <= LastSequence
            && amounts.All(a => QuotaNames.IsValid(a?.Quota) && a!.Amount >= 0)
            ? inFlight
            : null;
        foreach (var amount in snapshot.Pending ?? [])
        {
            if (QuotaNames.IsValid(amount?.Quota) && amount!.Amount > 0)
            {
                AddToSlot(amount.Quota, amount.Amount, QuotaAmount.SlotOf(amount.Slot).UtcTicks); // aged out at the next Add
            }
        }
    }

    private static string NewLife() => Guid.NewGuid().ToString("N");

    internal UsageOutboxSnapshot? ToSnapshot() => Life is null ? null : new UsageOutboxSnapshot(Life, LastSequence, InFlight, [.. Pending]);

    private sealed class PendingOrder : IComparer<(string Quota, long SlotTicks)>
    {
        public static readonly PendingOrder Instance = new();

        public int Compare((string Quota, long SlotTicks) x, (string Quota, long SlotTicks) y)
        {
            var byQuota = string.CompareOrdinal(x.Quota, y.Quota);
            return byQuota != 0 ? byQuota : x.SlotTicks.CompareTo(y.SlotTicks);
        }
    }
}

/// <summary>What a tenant stores of its <see cref="UsageOutbox"/>.</summary>
public sealed record UsageOutboxSnapshot(string Life, long LastSequence, UsageBatch? InFlight, List<QuotaAmount>? Pending);

/// <summary>Sums that stop at <see cref="long.MaxValue"/>: a parent adds up many children, which no single amount's bound limits.</summary>
internal static class Saturating
{
    public static long Add(long current, long amount)
    {
        var sum = unchecked(current + amount);
        return sum < current ? long.MaxValue : sum;
    }
}
