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
        if (state.State.LastDeletedAt is { } deleted && Metering.Outlived(deleted, now) && (HasRetiredMetering() || HasEarlierLife()))
        {
            await ForgetRetiredMeteringAsync();
        }
        else if (state.State.EarlierDeletedAt is { } earlierDeleted && Metering.Outlived(earlierDeleted, now) && HasEarlierLife())
        {
            await ForgetEarlierLifeAsync();
        }

        if (EarlierLifeFor(year, month) is { } earlier)
        {
            return earlier.Metering.Statement(TenantId.Parse(Id), year, month, now, earlier.DeletedAt);
        }

        if (_tenant is not null && ClosedBeforeRecreation(year, month) is { } lastDeleted)
        {
            var retired = Metering.FromSnapshot(state.State.RetiredUsage, state.State.RetiredPricingPlans) ?? new Metering();
            return retired.Statement(TenantId.Parse(Id), year, month, now, lastDeleted);
        }

        var metering = MeteringToRead() ?? new Metering();
        return metering.Statement(TenantId.Parse(Id), year, month, now, deletedAt);
    }

    /// <summary>
    /// The time the deleted tenant of this id was deleted, when the month's statement is that tenant's although a new
    /// one exists: it had closed when the new one was created, and the deleted one was alive in it. Null otherwise.
    /// </summary>
    private DateTimeOffset? ClosedBeforeRecreation(int year, int month)
    {
        return state.State.RecreatedAt is { } recreated && state.State.LastDeletedAt is { } deleted && HasRetiredMetering()
            && ClosedInLife(year, month, deleted, recreated)
            ? deleted
            : null;
    }

    public Task<PricingPlan?> GetPricingPlan() => Task.FromResult(MeteringToRead()?.Plans.Current);

    public async Task SetPricingPlan(PricingPlan? plan)
    {
        var tenant = Tenant();
        tenant.SetPricingPlan(plan, time.GetUtcNow());
        await CommitAsync(tenant);
    }

    /// <summary>
    /// Keeps, in the state a delete stores, the metering of the tenant deleted before this one when this one was created
    /// again while it was kept: its closed statements stay its own. Otherwise an earlier life kept already stays.
    /// </summary>
    private void KeepEarlierLife(TenantState retired)
    {
        var current = state.State;
        if (current.RecreatedAt is { } recreated && current.LastDeletedAt is { } deleted && HasRetiredMetering())
        {
            (retired.EarlierUsage, retired.EarlierPricingPlans) = (current.RetiredUsage, current.RetiredPricingPlans);
            (retired.EarlierDeletedAt, retired.EarlierRecreatedAt) = (deleted, recreated);
        }
        else
        {
            (retired.EarlierUsage, retired.EarlierPricingPlans) = (current.EarlierUsage, current.EarlierPricingPlans);
            (retired.EarlierDeletedAt, retired.EarlierRecreatedAt) = (current.EarlierDeletedAt, current.EarlierRecreatedAt);
        }
    }

    /// <summary>The earlier life's metering and deletion time, when the month's statement is that life's (see <see cref="KeepEarlierLife"/>).</summary>
    private (Metering Metering, DateTimeOffset DeletedAt)? EarlierLifeFor(int year, int month)
    {
        var kept = state.State;
        if (kept.EarlierRecreatedAt is not { } recreated || kept.EarlierDeletedAt is not { } deleted || (kept.EarlierUsage is null && kept.EarlierPricingPlans is null)
            || !ClosedInLife(year, month, deleted, recreated))
        {
            return null;
        }

        return (Metering.FromSnapshot(kept.EarlierUsage, kept.EarlierPricingPlans) ?? new Metering(), deleted);
    }

    /// <summary>Whether the month began before a tenant's delete and its statement had closed when the next tenant was created.</summary>
    private static bool ClosedInLife(int year, int month, DateTimeOffset deleted, DateTimeOffset recreated)
    {
        if (year is < 1 or > 9998 || month is < 1 or > 12)
        {
            return false;
        }

        var start = new DateTimeOffset(year, month, 1, 0, 0, 0, TimeSpan.Zero);
        return start <= deleted && start.AddMonths(1) + Statements.ClosingGrace <= recreated;
    }

    /// <summary>Drops the earlier life's metering once no month it could bill is left; the statement asked is answered either way.</summary>
    private async Task ForgetEarlierLifeAsync()
    {
        var earlier = EarlierLife();
        SetEarlierLife(default);
        try
        {
            await state.WriteStateAsync();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            SetEarlierLife(earlier);
            LogRetiredMeteringKept(logger, e, Id);
        }
    }

    private bool HasEarlierLife() => state.State.EarlierUsage is not null || state.State.EarlierPricingPlans is not null;

    private (List<UsageSeriesSnapshot>? Usage, List<PlanPeriod>? Plans, DateTimeOffset? DeletedAt, DateTimeOffset? RecreatedAt) EarlierLife() =>
        (state.State.EarlierUsage, state.State.EarlierPricingPlans, state.State.EarlierDeletedAt, state.State.EarlierRecreatedAt);

    private void SetEarlierLife((List<UsageSeriesSnapshot>? Usage, List<PlanPeriod>? Plans, DateTimeOffset? DeletedAt, DateTimeOffset? RecreatedAt) life) =>
        (state.State.EarlierUsage, state.State.EarlierPricingPlans, state.State.EarlierDeletedAt, state.State.EarlierRecreatedAt) = life;

    private bool HasRetiredMetering() => state.State.RetiredUsage is not null || state.State.RetiredPricingPlans is not null;

    /// <summary>
    /// A deleted tenant's kept metering goes once no month it could bill is left (<see cref="Metering.Outlived"/>), with
    /// its id from the directory of deleted tenants, which every statements list reads: the directory would otherwise
    /// grow with every tenant ever deleted. Done when a statement is asked for, as the list does each month, and never
    /// failing that read (it is answered the same either way). The id leaves the directory first: a failed write then
    /// only leaves unused rollups in the row, which a statement asked of this tenant itself drops later.
    /// </summary>
    private async Task ForgetRetiredMeteringAsync()
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

        var (usage, plans, recreated) = (state.State.RetiredUsage, state.State.RetiredPricingPlans, state.State.RecreatedAt);
        var earlier = EarlierLife();
        (state.State.RetiredUsage, state.State.RetiredPricingPlans, state.State.RecreatedAt) = (null, null, null);
        SetEarlierLife(default);
        try
        {
            await state.WriteStateAsync();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The statement asked for is answered all the same: the month is after the delete either way.
            (state.State.RetiredUsage, state.State.RetiredPricingPlans, state.State.RecreatedAt) = (usage, plans, recreated);
            SetEarlierLife(earlier);
            LogRetiredMeteringKept(logger, e, Id);
        }
    }

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
