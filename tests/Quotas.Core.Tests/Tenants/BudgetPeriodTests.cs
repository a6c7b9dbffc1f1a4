using Quotas.Core.Tenants;
using static Quotas.Core.Tests.Tenants.Times;

namespace Quotas.Core.Tests.Tenants;

public sealed class BudgetPeriodTests
{
    private static BudgetLedger Ledger(BudgetPeriod period, string zone = "UTC", long limit = 100) =>
        new([QuotaDefinition.Budget(QuotaNames.Jobs, QuotaLimit.Hard(limit), period)], BudgetCalendar.FindZone(zone));

    [Theory]
    [InlineData("2028-02-28T23:59:59Z", "2028-02-28T00:00:00Z", "2028-02-29T00:00:00Z")]
    [InlineData("2028-02-29T00:00:00Z", "2028-02-29T00:00:00Z", "2028-03-01T00:00:00Z")]
    [InlineData("2028-12-31T23:59:59.9999999Z", "2028-12-31T00:00:00Z", "2029-01-01T00:00:00Z")]
    public void Day_periods_in_utc(string now, string start, string end)
    {
        var (s, e) = BudgetCalendar.PeriodOf(DateTimeOffset.Parse(now), BudgetPeriod.Day, TimeZoneInfo.Utc);
        Assert.Equal(DateTimeOffset.Parse(start), s);
        Assert.Equal(DateTimeOffset.Parse(end), e);
    }

    [Theory]
    [InlineData("2028-01-05T12:00:00Z", "2028-01-03T00:00:00Z")] // Wednesday -> Monday
    [InlineData("2028-01-03T00:00:00Z", "2028-01-03T00:00:00Z")] // Monday itself
    [InlineData("2028-01-09T23:59:59Z", "2028-01-03T00:00:00Z")] // Sunday belongs to the week before
    [InlineData("2028-01-10T00:00:00Z", "2028-01-10T00:00:00Z")]
    [InlineData("2027-01-01T10:00:00Z", "2026-12-28T00:00:00Z")] // ISO week spans the year end
    public void Weeks_start_on_monday(string now, string start)
    {
        var (s, e) = BudgetCalendar.PeriodOf(DateTimeOffset.Parse(now), BudgetPeriod.Week, TimeZoneInfo.Utc);
        Assert.Equal(DateTimeOffset.Parse(start), s);
        Assert.Equal(s.AddDays(7), e);
    }

    [Theory]
    [InlineData("2028-02-15T00:00:00Z", "2028-02-01T00:00:00Z", "2028-03-01T00:00:00Z", 29)] // leap February
    [InlineData("2027-02-15T00:00:00Z", "2027-02-01T00:00:00Z", "2027-03-01T00:00:00Z", 28)]
    [InlineData("2028-04-30T23:59:59Z", "2028-04-01T00:00:00Z", "2028-05-01T00:00:00Z", 30)]
    [InlineData("2028-01-31T23:59:59Z", "2028-01-01T00:00:00Z", "2028-02-01T00:00:00Z", 31)]
    public void Months_have_their_calendar_length(string now, string start, string end, int days)
    {
        var (s, e) = BudgetCalendar.PeriodOf(DateTimeOffset.Parse(now), BudgetPeriod.Month, TimeZoneInfo.Utc);
        Assert.Equal(DateTimeOffset.Parse(start), s);
        Assert.Equal(DateTimeOffset.Parse(end), e);
        Assert.Equal(days, (e - s).TotalDays);
    }

    [Fact]
    public void Daily_budget_resets_exactly_at_midnight_of_leap_day()
    {
        var ledger = Ledger(BudgetPeriod.Day);
        Assert.Equal(60, ledger.RecordUsage("e1", QuotaNames.Jobs, 60, Utc(2028, 2, 28, 23, 59, 59)).Consumed);
        var denied = Assert.IsType<AdmissionDecision.Deny>(ledger.Check(QuotaNames.Jobs, 41, Utc(2028, 2, 28, 23, 59, 59)));
        Assert.Equal(ReasonCodes.BudgetExhausted, denied.ReasonCode);
        Assert.Equal(TimeSpan.FromSeconds(1), denied.RetryAfter);

        var next = ledger.RecordUsage("e2", QuotaNames.Jobs, 5, Utc(2028, 2, 29));
        Assert.Equal(5, next.Consumed);
        Assert.Equal(Utc(2028, 2, 29), next.PeriodStart);
        Assert.Equal(Utc(2028, 3, 1), next.PeriodEnd);
    }

    [Fact]
    public void Monthly_budget_resets_at_the_first_of_the_month_after_a_30_day_month()
    {
        var ledger = Ledger(BudgetPeriod.Month);
        ledger.RecordUsage("a", QuotaNames.Jobs, 100, Utc(2028, 4, 1));
        Assert.False(ledger.Check(QuotaNames.Jobs, 1, new DateTimeOffset(2028, 5, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(-1)).IsAllowed);
        Assert.True(ledger.Check(QuotaNames.Jobs, 100, Utc(2028, 5, 1)).IsAllowed);
    }

    [Fact]
    public void Weekly_budget_resets_on_monday_midnight()
    {
        var ledger = Ledger(BudgetPeriod.Week);
        ledger.RecordUsage("a", QuotaNames.Jobs, 100, Utc(2028, 1, 3));
        Assert.False(ledger.Check(QuotaNames.Jobs, 1, Utc(2028, 1, 9, 23, 59, 59)).IsAllowed);
        Assert.True(ledger.Check(QuotaNames.Jobs, 1, Utc(2028, 1, 10)).IsAllowed);
    }

    [Fact]
    public void Berlin_day_resets_at_local_midnight_and_the_dst_day_is_23_hours()
    {
        var ledger = Ledger(BudgetPeriod.Day, "Europe/Berlin");
        var before = ledger.RecordUsage("a", QuotaNames.Jobs, 100, Utc(2028, 3, 25, 22, 59, 59));
        Assert.Equal(Utc(2028, 3, 24, 23), before.PeriodStart);
        Assert.False(ledger.Check(QuotaNames.Jobs, 1, Utc(2028, 3, 25, 22, 59, 59)).IsAllowed);

        var after = ledger.RecordUsage("b", QuotaNames.Jobs, 1, Utc(2028, 3, 25, 23));
        Assert.Equal(1, after.Consumed);
        Assert.Equal(Utc(2028, 3, 25, 23), after.PeriodStart);
        Assert.Equal(Utc(2028, 3, 26, 22), after.PeriodEnd); // CEST from 26 March: 23 hours
    }

    [Fact]
    public void New_york_month_starts_at_local_midnight()
    {
        var (s, e) = BudgetCalendar.PeriodOf(Utc(2028, 11, 15), BudgetPeriod.Month, BudgetCalendar.FindZone("America/New_York"));
        Assert.Equal(Utc(2028, 11, 1, 4), s); // EDT
        Assert.Equal(Utc(2028, 12, 1, 5), e); // EST
    }

    [Fact]
    public void Duplicate_event_ids_count_once()
    {
        var ledger = Ledger(BudgetPeriod.Day);
        Assert.False(ledger.RecordUsage("evt-1", QuotaNames.Jobs, 7, Utc(2028, 1, 1, 1)).Duplicate);
        var again = ledger.RecordUsage("evt-1", QuotaNames.Jobs, 7, Utc(2028, 1, 1, 2));
        Assert.True(again.Duplicate);
        Assert.Equal(7, again.Consumed);
    }

    /// <summary>
    /// An event id sent again with another amount, or for another budget, is no resend of the event: answered as a
    /// duplicate, the new usage was dropped unsaid. Refused, naming what the id was recorded as.
    /// </summary>
    [Fact]
    public void An_event_id_sent_again_with_other_usage_is_refused_and_counts_nothing()
    {
        var ledger = new BudgetLedger(
            [QuotaDefinition.Budget(QuotaNames.Jobs, QuotaLimit.Hard(1_000), BudgetPeriod.Day), QuotaDefinition.Budget(QuotaNames.Cost, QuotaLimit.Hard(1_000), BudgetPeriod.Day)],
            TimeZoneInfo.Utc);
        ledger.RecordUsage("evt-1", QuotaNames.Jobs, 500, Utc(2028, 1, 1, 1));

        var corrected = Assert.Throws<QuotaValidationException>(() => ledger.RecordUsage("evt-1", QuotaNames.Jobs, 700, Utc(2028, 1, 1, 2)));
        var elsewhere = Assert.Throws<QuotaValidationException>(() => ledger.RecordUsage("evt-1", QuotaNames.Cost, 500, Utc(2028, 1, 1, 2)));

        Assert.Equal(ValidationCodes.IdempotencyKeyConflict, corrected.Code);
        Assert.Equal($"Event id 'evt-1' was recorded as 500 of '{QuotaNames.Jobs}': use a new event id for different usage.", corrected.Message);
        Assert.Equal(ValidationCodes.IdempotencyKeyConflict, elsewhere.Code);
        Assert.True(ledger.RecordUsage("evt-1", QuotaNames.Jobs, 500, Utc(2028, 1, 1, 3)).Duplicate);
        Assert.Equal(500, ledger.Consumed(ledger.IndexOf(QuotaNames.Jobs), Utc(2028, 1, 1, 3)));
        Assert.Equal(0, ledger.Consumed(ledger.IndexOf(QuotaNames.Cost), Utc(2028, 1, 1, 3)));
    }

    [Fact]
    public void Event_id_memory_is_bounded()
    {
        var ledger = Ledger(BudgetPeriod.Month, limit: 1_000_000);
        for (var i = 0; i <= BudgetLedger.RememberedEventIds; i++)
        {
            ledger.RecordUsage($"e{i}", QuotaNames.Jobs, 1, Utc(2028, 1, 2));
        }

        Assert.True(ledger.RecordUsage($"e{BudgetLedger.RememberedEventIds}", QuotaNames.Jobs, 1, Utc(2028, 1, 2)).Duplicate);
        Assert.False(ledger.RecordUsage("e0", QuotaNames.Jobs, 1, Utc(2028, 1, 2)).Duplicate); // forgotten: documented bound
    }

    [Theory]
    [InlineData("Mars/Olympus")]
    [InlineData("America")] // a folder of the zone database, which the runtime reports otherwise than a missing file
    [InlineData("Etc")]
    [InlineData("../../etc/passwd")]
    [InlineData("Europe/Berlin\0")]
    public void Unknown_time_zone_is_a_validation_error(string id)
    {
        var e = Assert.Throws<QuotaValidationException>(() => BudgetCalendar.FindZone(id));
        Assert.Equal(ValidationCodes.InvalidTimeZone, e.Code);
    }
}
