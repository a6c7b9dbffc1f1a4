namespace Quotas.Core.Tenants;

/// <summary>Calendar period of a budget in the tenant's time zone; weeks are ISO weeks starting Monday.</summary>
public enum BudgetPeriod
{
    Day,
    Week,
    Month,
}
