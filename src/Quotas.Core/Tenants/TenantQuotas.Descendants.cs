using System.Collections.ObjectModel;

namespace Quotas.Core.Tenants;

/// <summary>A parent's side of its children's budget usage (see <see cref="UsageOutbox"/>).</summary>
public sealed partial class TenantQuotas
{
    /// <summary>
    /// Counts a child's delivery in the budgets configured here and, when this tenant has a parent in turn, puts it in
    /// this tenant's outbox; returns false, changing nothing, for a delivery already counted (a retry) or from a life
    /// that has ended. <paramref name="child"/> names the child's life (its id and <see cref="UsageOutbox.Life"/>).
    /// Quotas without a budget here are not counted here and still passed up: a child inherits every budget of its
    /// parent, but this tenant's copy of its parent's may be out of date (the parent added one a moment ago), and an
    /// ancestor that has the budget would otherwise never count them, the delivery being done. Amounts of a period that has ended here are not counted here, and still passed up, where a time
    /// zone may put them in a period still open. For a tenant created again under the id of a deleted one,
    /// <paramref name="recreatedAt"/>, amounts of a slot that ended a whole slot before it are neither: the child
    /// recorded them while no parent of this id lived. (Deliveries carry 15-minute slots, and the child's clock is
    /// another silo's: the slot that holds the creation, and the one before, count whole.)
    /// </summary>
    public bool RecordChildUsage(string child, UsageBatch batch, DateTimeOffset now, DateTimeOffset? recreatedAt = null)
    {
        ChildDeliveries.Validate(child);
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Amounts is null || batch.Sequence < 1)
        {
            throw new QuotaValidationException(ValidationCodes.Invalid, $"Delivery {batch.Sequence} from '{child}' is invalid: deliveries are numbered from 1 and carry their amounts.");
        }

        foreach (var amount in batch.Amounts)
        {
            QuotaNames.Validate(amount?.Quota!);
            if (amount!.Amount < 0)
            {
                throw new QuotaValidationException(ValidationCodes.InvalidAmount, $"Amount {amount.Amount} for quota '{amount.Quota}' from '{child}' is negative.");
            }
        }

        if (!ChildDeliveries.IsNew(child, batch.Sequence))
        {
            return false;
        }

        foreach (var amount in batch.Amounts)
        {
            if (amount.Amount == 0 || (recreatedAt is { } recreated && amount.Slot + (2 * QuotaAmount.SlotLength) <= recreated))
            {
                continue;
            }

            var index = Budgets.IndexOf(amount.Quota);
            if (index >= 0 && Budgets.CountForDescendant(index, amount.Amount, amount.Slot, now) is { } record)
            {
                ObserveBudget(index, record, amount.Amount, now);
            }

            if (Config.ParentId is not null)
            {
                Outbox.Add(amount.Quota, amount.Amount, amount.Slot, now);
            }
        }

        ChildDeliveries.Counted(child, batch.Sequence);
        return true;
    }
}

/// <summary>The last delivery a parent counted from each child's life, so that a retried delivery counts once.</summary>
public sealed class ChildDeliveries
{
    /// <summary>The mark of a life that has ended: no delivery from it counts any more.</summary>
    public const long Ended = long.MaxValue;

    /// <summary>
    /// How long an ended life is remembered: far longer than any delivery can be on its way (a call times out within
    /// minutes), so that a late copy is refused, and short enough that tenants created and deleted all day do not grow
    /// their parent's stored state for good.
    /// </summary>
    public static readonly TimeSpan EndedKeptFor = TimeSpan.FromDays(1);

    private const int MaxChildLength = 200;

    // Null until a child first delivers or ends: most tenants have no children, and empty dictionaries are not free.
    private Dictionary<string, long>? _last;
    private Dictionary<string, DateTimeOffset>? _endedAt;

    public IReadOnlyDictionary<string, long> Last => _last ?? (IReadOnlyDictionary<string, long>)ReadOnlyDictionary<string, long>.Empty;

    public bool IsNew(string child, long sequence) => sequence > LastOf(child);

    public void Counted(string child, long sequence) => LastByChild()[child] = sequence;

    /// <summary>When the life of <paramref name="child"/> ended; null while it lasts.</summary>
    public DateTimeOffset? EndedAt(string child) => _endedAt is not null && _endedAt.TryGetValue(child, out var at) ? at : null;

    /// <summary>
    /// Ends a child's life (it was deleted): a delivery from it still on its way, a late copy of one already counted,
    /// is refused rather than counted again. Lives ended more than <see cref="EndedKeptFor"/> ago are forgotten now.
    /// True when anything changed (to be stored).
    /// </summary>
    public bool End(string child, DateTimeOffset now)
    {
        var changed = false;
        foreach (var old in (_endedAt ?? []).Where(p => now - p.Value > EndedKeptFor).Select(p => p.Key).ToList())
        {
            _endedAt!.Remove(old);
            _last?.Remove(old);
            changed = true;
        }

        if (LastOf(child) == Ended)
        {
            return changed;
        }

        LastByChild()[child] = Ended;
        EndedByChild()[child] = now;
        return true;
    }

    internal void Restore(ChildDelivery delivery)
    {
        if (delivery?.Child is not { Length: > 0 } child)
        {
            return;
        }

        LastByChild()[child] = delivery.Sequence;
        if (delivery.EndedAt is { } at)
        {
            EndedByChild()[child] = at;
        }
    }

    private long LastOf(string child) => _last is null ? 0 : _last.GetValueOrDefault(child);

    private Dictionary<string, long> LastByChild() => _last ??= new(StringComparer.Ordinal);

    private Dictionary<string, DateTimeOffset> EndedByChild() => _endedAt ??= new(StringComparer.Ordinal);

    public static void Validate(string? child)
    {
        if (string.IsNullOrEmpty(child) || child.Length > MaxChildLength)
        {
            throw new QuotaValidationException(ValidationCodes.Invalid, $"The child '{TenantId.Truncate(child)}' is invalid: name it by its id and life, 1 to {MaxChildLength} characters.");
        }
    }
}
