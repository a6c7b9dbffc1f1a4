using Microsoft.Extensions.Logging;
using Quotas.Core.Billing;
using Quotas.Core.Tenants;

namespace Quotas.Grains.Tenants;

/// <summary>
/// Metering: the usage recorded here rolls up with the usage event itself (<see cref="UsageRollups"/>, stored in the
/// same write), so the history and the statements read what is stored, and nothing waits on another grain.
/// </summary>
public sealed partial class TenantGrain
{
    public Task<UsageHistory> GetUsageHistory(RollupGranularity granularity, DateTimeOffset from, DateTimeOffset to, string? meter)
    {
        var metering = MeteringToRead();
        if (!Enum.IsDefined(granularity))
        {
            throw new QuotaValidationException(ValidationCodes.InvalidPeriod, $"Granularity {(int)granularity} is unknown: use hour, day or month.");
        }

        if (from >= to)
        {
            throw new QuotaValidationException(ValidationCodes.InvalidPeriod, $"from ({from:O}) must be before to ({to:O}).");
        }

        if (meter is not null)
        {
            QuotaNames.Validate(meter);
        }

        // The range answered is the one asked, within what is kept and what has begun: a caller that asks for everything
        // (the gateway's defaults are the earliest and latest times) learns which buckets that is.
        var now = time.GetUtcNow();
        var kept = UsageRollups.OldestKept(granularity, now);
        var answeredFrom = from > kept ? from : kept;
        var currentEnds = UsageRollups.CurrentEnds(granularity, now);
        var answeredTo = to < currentEnds ? to : currentEnds;
        var buckets = metering?.Rollups.Buckets(granularity, from, to, meter, now) ?? [];
        return Task.FromResult(new UsageHistory(Id, granularity, answeredFrom, answeredTo < answeredFrom ? answeredFrom : answeredTo, kept, buckets));
    }

    public async Task<BillingStatement> GetStatement(int year, int month)
    {
        var now = time.GetUtcNow();
        var deletedAt = _tenant is null ? state.State.LastDeletedAt : null;
        await ForgetOutlivedMeteringAsync(now);
        RefuseMonthNoTenantLivedIn(year, month);

        // The month is one tenant's of the id (the first that applies below), with the usage of those before it that
        // shared the month: each deleted in it, and the next one created in it.
        var predecessors = LivesBeforeCurrent();
        if (EarlierLifeFor(year, month) is { } earlier)
        {
            var kept = Metering.FromSnapshot(earlier.Usage, earlier.PricingPlans) ?? new Metering();
            var position = state.State.EarlierLives.IndexOf(earlier);
            return kept.Statement(TenantId.Parse(Id), year, month, now, SharedWith(predecessors, position, year, month), earlier.DeletedAt);
        }

        if (_tenant is not null && ClosedBeforeRecreation(year, month) is { } lastDeleted)
        {
            var retired = Metering.FromSnapshot(state.State.RetiredUsage, state.State.RetiredPricingPlans) ?? new Metering();
            return retired.Statement(TenantId.Parse(Id), year, month, now, SharedWith(predecessors, state.State.EarlierLives.Count, year, month), lastDeleted);
        }

        var metering = MeteringToRead() ?? new Metering();
        var shared = SharedWith(predecessors, predecessors.Count, year, month);
        return metering.Statement(TenantId.Parse(Id), year, month, now, shared, deletedAt, _tenant is null ? null : CreatedAt);
    }

    /// <summary>
    /// The tenants of this id before the latest, oldest first, each with the gap to the next: the earlier lives kept,
    /// and the one deleted last when a tenant of the id was created again since (also one that kept no metering: it
    /// owns the months that had closed when the next one was created, empty or with the usage of those before it that
    /// shared them).
    /// </summary>
    private List<EarlierLife> LivesBeforeCurrent()
    {
        var current = state.State;
        var lives = new List<EarlierLife>(current.EarlierLives);
        if (current.RecreatedAt is { } recreated && current.LastDeletedAt is { } deleted)
        {
            lives.Add(new EarlierLife { Usage = current.RetiredUsage, PricingPlans = current.RetiredPricingPlans, DeletedAt = deleted, NextCreatedAt = recreated });
        }

        return lives;
    }

    /// <summary>
    /// The metering of the tenants right before the one at <paramref name="position"/> that shared the month with it,
    /// oldest first: each deleted in the month, and the next created in it. Their usage in the month is billed with
    /// that tenant's, by the administrators' statement only (a tenant's own key reads its own usage alone).
    /// </summary>
    private static List<Metering> SharedWith(List<EarlierLife> lives, int position, int year, int month)
    {
        var shared = new List<Metering>();
        if (MonthStart(year, month) is not { } start)
        {
            return shared;
        }

        for (var i = position - 1; i >= 0 && lives[i].DeletedAt >= start && !ClosedBy(start, lives[i].NextCreatedAt); i--)
        {
            if (Metering.FromSnapshot(lives[i].Usage, lives[i].PricingPlans) is { } metering)
            {
                shared.Insert(0, metering);
            }
        }

        return shared;
    }

    public async Task<BillingStatement> GetOwnStatement(int year, int month)
    {
        _ = Tenant();
        var now = time.GetUtcNow();
        await ForgetOutlivedMeteringAsync(now);
        return (MeteringToRead() ?? new Metering()).Statement(TenantId.Parse(Id), year, month, now, null, CreatedAt);
    }

    /// <summary>
    /// Refuses usage dated in a month that had ended when this tenant was created again: that month's statement is the
    /// deleted tenant's (or no tenant's), so usage the new one counted there reached no statement an admin reads. A
    /// retry of an event counted already stays a duplicate.
    /// </summary>
    private void RefuseMonthOfEarlierTenant(string eventId, DateTimeOffset? occurredAt)
    {
        if (occurredAt is not { } at || state.State.RecreatedAt is not { } recreated || Tenant().Budgets.HasSeen(eventId))
        {
            return;
        }

        var month = at.ToUniversalTime();
        if (MonthStart(month.Year, month.Month) is { } start && ClosedBy(start, recreated))
        {
            var own = recreated.ToUniversalTime();
            throw new QuotaValidationException(
                ValidationCodes.InvalidOccurredAt,
                $"occurredAt {at:O} is in {month:yyyy-MM}, which had ended when tenant '{Id}' was created again at {recreated:O}: that month is " +
                $"billed to the tenant deleted before. Date usage from {MonthStart(own.Year, own.Month):O} on, or send it without occurredAt to count it now.");
        }
    }

    /// <summary>
    /// The time usage dated <paramref name="occurredAt"/> is counted at, for this tenant: refused when it is before the
    /// tenant was created by more than the clocks may disagree (<see cref="Metering.MaxClockAhead"/>), since it would
    /// land where the tenant did not exist: a month no statement of it bills, or the month it was created in, whose
    /// projection would spread it over the days since the creation only. Within that margin (the sender's clock a
    /// little behind), dated at the creation. A retry of an event counted already stays a duplicate.
    /// </summary>
    private DateTimeOffset? SinceCreation(string eventId, DateTimeOffset? occurredAt)
    {
        if (occurredAt is not { } at || CreatedAt is not { } created || at >= created || Tenant().Budgets.HasSeen(eventId))
        {
            return occurredAt;
        }

        if (at < created - Metering.MaxClockAhead)
        {
            throw new QuotaValidationException(
                ValidationCodes.InvalidOccurredAt,
                $"occurredAt {at:O} is before tenant '{Id}' was created ({created:O}): date usage from its creation on, or send it without occurredAt to count it now.");
        }

        return created;
    }

    /// <summary>When the tenant that exists now was created, as far as its stored state says (rows of earlier releases only when it was created again).</summary>
    private DateTimeOffset? CreatedAt => state.State.CreatedAt ?? state.State.RecreatedAt;

    /// <summary>
    /// The time the deleted tenant of this id was deleted, when the month's statement is that tenant's although a new
    /// one exists: it had closed when the new one was created, and the deleted one was alive in it. Null otherwise.
    /// </summary>
    private DateTimeOffset? ClosedBeforeRecreation(int year, int month) =>
        state.State.RecreatedAt is { } recreated && state.State.LastDeletedAt is { } deleted
            && ClosedInLife(year, month, deleted, recreated)
            ? deleted
            : null;

    /// <summary>
    /// Refuses, as a deleted tenant refuses a month after its delete, a month that began after a tenant of this id was
    /// deleted and had closed before the next was created: no tenant lived in it, so no statement is its.
    /// </summary>
    private void RefuseMonthNoTenantLivedIn(int year, int month)
    {
        var gaps = state.State.EarlierLives.Select(l => (l.DeletedAt, l.NextCreatedAt)).ToList();
        if (_tenant is not null && state.State.RecreatedAt is { } recreated && state.State.LastDeletedAt is { } deleted)
        {
            gaps.Add((deleted, recreated));
        }

        if (MonthStart(year, month) is not { } start)
        {
            return;
        }

        foreach (var (deletedAt, nextCreatedAt) in gaps)
        {
            if (start > deletedAt && ClosedBy(start, nextCreatedAt))
            {
                throw new QuotaValidationException(
                    ValidationCodes.DeletedBeforePeriod,
                    $"No tenant '{Id}' existed in {start:yyyy-MM}: one was deleted at {deletedAt:O} and the next created at {nextCreatedAt:O}; ask for another month.");
            }
        }
    }

    /// <summary>
    /// Keeps, in the state a delete stores, the earlier deleted tenants, and the one deleted before this one when this one
    /// was created again: their closed statements stay their own.
    /// </summary>
    private void KeepEarlierLives(TenantState retired) => retired.EarlierLives = LivesBeforeCurrent();

    /// <summary>
    /// The earlier deleted tenant whose statement the month is: the first, in the order they were deleted (the list's), deleted
    /// after the month began and whose statement of it had closed when the next tenant was created.
    /// </summary>
    private EarlierLife? EarlierLifeFor(int year, int month) =>
        state.State.EarlierLives.FirstOrDefault(l => ClosedInLife(year, month, l.DeletedAt, l.NextCreatedAt));

    /// <summary>
    /// Whether the month began before a tenant's delete and had ended when the next tenant was created: the next one
    /// lived in none of it, so it is the deleted one's, also when the next came within the minutes after the month's end
    /// that its statement stays open (<see cref="Statements.ClosingGrace"/>).
    /// </summary>
    private static bool ClosedInLife(int year, int month, DateTimeOffset deleted, DateTimeOffset nextCreated) =>
        MonthStart(year, month) is { } start && start <= deleted && ClosedBy(start, nextCreated);

    /// <summary>Whether the month starting at <paramref name="start"/> had ended at <paramref name="at"/>.</summary>
    private static bool ClosedBy(DateTimeOffset start, DateTimeOffset at) => start.AddMonths(1) <= at;

    /// <summary>The month's first instant (UTC); null for a month out of range, which the statement itself refuses.</summary>
    private static DateTimeOffset? MonthStart(int year, int month) =>
        year is < 1 or > 9998 || month is < 1 or > 12 ? null : new DateTimeOffset(year, month, 1, 0, 0, 0, TimeSpan.Zero);

    public Task<PricingPlan?> GetPricingPlan() => Task.FromResult(MeteringToRead()?.Plans.Current);

    public async Task SetPricingPlan(PricingPlan? plan)
    {
        var tenant = Tenant();
        tenant.SetPricingPlan(plan, time.GetUtcNow());
        await CommitAsync(tenant);
    }

    private bool HasRetiredMetering() => state.State.RetiredUsage is not null || state.State.RetiredPricingPlans is not null;

    /// <summary>Whether a deleted tenant of this id keeps metering that a statement may read (so the id is listed among the deleted).</summary>
    private static bool KeepsMetering(TenantState kept) =>
        kept.RetiredUsage is not null || kept.RetiredPricingPlans is not null || kept.EarlierLives.Exists(HasMetering);

    private static bool HasMetering(EarlierLife life) => life.Usage is not null || life.PricingPlans is not null;

    /// <summary>
    /// Drops the kept metering that no month can bill any more (<see cref="Metering.Outlived"/>). A deleted tenant left
    /// with none also leaves the directory of deleted tenants, which every statements list reads: it would otherwise
    /// grow with every tenant ever deleted. Done when a statement is asked for, as the list does each month, and never
    /// failing that read (it is answered the same either way). The id leaves the directory first: a failed write then
    /// only leaves unused rollups in the row, which a later statement drops.
    /// </summary>
    private async Task ForgetOutlivedMeteringAsync(DateTimeOffset now)
    {
        var retiredOutlived = HasRetiredMetering() && state.State.LastDeletedAt is { } deleted && Metering.Outlived(deleted, now);
        if (!retiredOutlived && !state.State.EarlierLives.Exists(l => LifeOutlived(l, now)))
        {
            return;
        }

        var keepsAfter = (HasRetiredMetering() && !retiredOutlived) || state.State.EarlierLives.Exists(l => HasMetering(l) && !Metering.Outlived(l.DeletedAt, now));
        if (_tenant is null && !keepsAfter)
        {
            try
            {
                await DeletedDirectory().Remove(Id);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogRetiredMeteringKept(logger, e, Id);
                return;
            }
        }

        var (usage, plans, recreated, lives) = (state.State.RetiredUsage, state.State.RetiredPricingPlans, state.State.RecreatedAt, state.State.EarlierLives);
        if (retiredOutlived)
        {
            // The time of the creation stays: the months between the delete and it were no tenant's (RefuseMonthNoTenantLivedIn).
            (state.State.RetiredUsage, state.State.RetiredPricingPlans) = (null, null);
        }

        // An earlier tenant outlived drops its metering but keeps its gap to the next creation while a month of that gap
        // can be asked for: those months were no tenant's (RefuseMonthNoTenantLivedIn), as for the tenant deleted last.
        state.State.EarlierLives = [.. lives.Where(l => !Metering.Outlived(l.NextCreatedAt, now)).Select(l => Metering.Outlived(l.DeletedAt, now) ? WithoutMetering(l) : l)];
        try
        {
            await state.WriteStateAsync();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The statement asked for is answered all the same: what is dropped bills no month any more.
            (state.State.RetiredUsage, state.State.RetiredPricingPlans, state.State.RecreatedAt, state.State.EarlierLives) = (usage, plans, recreated, lives);
            LogRetiredMeteringKept(logger, e, Id);
        }
    }

    /// <summary>Whether an earlier tenant keeps metering no month can bill, or a gap no month of which can be asked for any more.</summary>
    private static bool LifeOutlived(EarlierLife life, DateTimeOffset now) =>
        (HasMetering(life) && Metering.Outlived(life.DeletedAt, now)) || Metering.Outlived(life.NextCreatedAt, now);

    private static EarlierLife WithoutMetering(EarlierLife life) => new() { DeletedAt = life.DeletedAt, NextCreatedAt = life.NextCreatedAt };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleted tenant {TenantId} could not drop the usage it kept for billing, which no month can bill any more; it tries again at the next statement asked for")]
    private static partial void LogRetiredMeteringKept(ILogger logger, Exception exception, string tenantId);

    /// <summary>
    /// The tenant's metering, or what was kept of it when the tenant was deleted (its last months can still be billed,
    /// with the admin key, as its own keys were revoked); null when it recorded no usage and had no plan. Unknown only
    /// for an id no tenant ever had.
    /// </summary>
    private Metering? MeteringToRead()
    {
        if (_tenant is { } tenant)
        {
            return tenant.Metering;
        }

        return state.State.LastDeletedAt is not null
            ? Metering.FromSnapshot(state.State.RetiredUsage, state.State.RetiredPricingPlans)
            : throw TenantErrors.Unknown(Id);
    }
}
