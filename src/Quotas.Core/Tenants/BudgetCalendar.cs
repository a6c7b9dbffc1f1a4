namespace Quotas.Core.Tenants;

/// <summary>Calendar periods of budgets in a time zone: days, ISO weeks (Monday first) and months, as UTC instants.</summary>
public static class BudgetCalendar
{
    public static TimeZoneInfo FindZone(string? id)
    {
        if (string.IsNullOrEmpty(id) || string.Equals(id, "UTC", StringComparison.Ordinal))
        {
            return TimeZoneInfo.Utc;
        }

        // TryFind answers false for every failure, including the ones Find throws for names of the zone database's
        // folders ("America", "Etc"), which are neither "not found" nor "invalid" on Linux.
        return TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone)
            ? zone
            : throw new QuotaValidationException(ValidationCodes.InvalidTimeZone, $"Time zone '{id}' is unknown: use an IANA id such as 'Europe/Berlin', or 'UTC'.");
    }

    /// <summary>The period holding <paramref name="now"/>: start inclusive, end exclusive, both at local midnight.</summary>
    public static (DateTimeOffset Start, DateTimeOffset End) PeriodOf(DateTimeOffset now, BudgetPeriod period, TimeZoneInfo zone)
    {
        var local = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        var start = period switch
        {
            BudgetPeriod.Week => local.AddDays(-(((int)local.DayOfWeek + 6) % 7)),
            BudgetPeriod.Month => new DateOnly(local.Year, local.Month, 1),
            _ => local,
        };
        var end = period switch
        {
            BudgetPeriod.Week => start.AddDays(7),
            BudgetPeriod.Month => start.AddMonths(1),
            _ => start.AddDays(1),
        };
        return (StartOfDay(start, zone), StartOfDay(end, zone));
    }

    /// <summary>The first instant of a local date. Where midnight is skipped (DST gap) the day starts when the clock jumps; where it
    /// repeats, at its first occurrence.</summary>
    public static DateTimeOffset StartOfDay(DateOnly date, TimeZoneInfo zone)
    {
        var local = date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        var guard = 0;
        while (zone.IsInvalidTime(local) && guard++ < 24 * 60)
        {
            local = local.AddMinutes(1);
        }

        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset);
    }
}
