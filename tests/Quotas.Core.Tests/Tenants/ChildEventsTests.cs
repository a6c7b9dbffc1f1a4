using Quotas.Core.Tenants;

namespace Quotas.Core.Tests.Tenants;

public sealed class ChildEventsTests
{
    [Fact]
    public void A_child_s_event_id_names_the_child_and_stays_a_valid_event_id_however_long()
    {
        var child = TenantId.Parse(new string('c', 63));
        var longest = new string('e', Guard.MaxKeyLength);

        Assert.Equal("child/team-a/e1", ChildEvents.EventIdFor(TenantId.Parse("team-a"), "e1"));
        var hashed = ChildEvents.EventIdFor(child, longest);
        BudgetLedger.ValidateEventId(hashed);
        Assert.StartsWith($"child/{child}/#", hashed, StringComparison.Ordinal);
        Assert.Equal(hashed, ChildEvents.EventIdFor(child, longest));
        Assert.NotEqual(hashed, ChildEvents.EventIdFor(child, longest[..^1] + "f"));

        // Passed on again by the parent: still valid, still the same for the same event.
        var passedOn = ChildEvents.EventIdFor(TenantId.Parse(new string('p', 63)), hashed);
        BudgetLedger.ValidateEventId(passedOn);
        Assert.Equal(passedOn, ChildEvents.EventIdFor(TenantId.Parse(new string('p', 63)), hashed));
    }
}
