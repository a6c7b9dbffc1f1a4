using System.Text.Json;
using Quotas.Core.Tenants;

namespace Quotas.Core.Tests.Tenants;

/// <summary>The rate decision's converter keeps the serializer's own contract, so silos of either build understand each other.</summary>
public sealed class RateDecisionJsonTests
{
    private static readonly RateDecision s_allowed = new(true, null, "requests", 3, 10, 7, TimeSpan.FromSeconds(42), null);
    private static readonly RateDecision s_denied = new(false, "rate_limited", "requests", 10, 10, 0, TimeSpan.FromMilliseconds(1500), TimeSpan.FromSeconds(2));

    public static TheoryData<string> OptionSets => ["web", "default"];

    [Theory]
    [MemberData(nameof(OptionSets))]
    public void It_writes_what_the_serializers_own_contract_writes(string optionSet)
    {
        var options = Options(optionSet);

        Assert.Equal(JsonSerializer.Serialize(Contract.Of(s_allowed), options), JsonSerializer.Serialize(s_allowed, options));
        Assert.Equal(JsonSerializer.Serialize(Contract.Of(s_denied), options), JsonSerializer.Serialize(s_denied, options));
    }

    [Theory]
    [MemberData(nameof(OptionSets))]
    public void It_reads_what_the_serializers_own_contract_wrote_and_what_it_writes_itself(string optionSet)
    {
        var options = Options(optionSet);

        Assert.Equal(s_denied, JsonSerializer.Deserialize<RateDecision>(JsonSerializer.Serialize(Contract.Of(s_denied), options), options));
        Assert.Equal(s_allowed, JsonSerializer.Deserialize<RateDecision>(JsonSerializer.Serialize(s_allowed, options), options));
        Assert.Equal(s_denied, JsonSerializer.Deserialize<RateDecision>(JsonSerializer.Serialize(s_denied, options), options));
    }

    [Fact]
    public void It_reads_members_in_any_order_and_casing_and_skips_members_it_does_not_know()
    {
        const string json = """{"retryAfter":"00:00:02","Quota":"requests","future":{"nested":[1,2]},"ALLOWED":false,"reasonCode":"rate_limited","current":10,"limit":"10","remaining":0,"resetAfter":"00:00:01.5"}""";

        Assert.Equal(s_denied, JsonSerializer.Deserialize<RateDecision>(json, Options("web")));
    }

    [Fact]
    public void A_decision_without_its_quota_or_that_is_not_an_object_is_refused()
    {
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<RateDecision>("""{"allowed":true}""", Options("web")));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<RateDecision>("[]", Options("web")));
    }

    [Fact]
    public void Nested_in_a_result_it_round_trips_with_the_results_other_members()
    {
        var options = Options("web");
        var result = new Result(s_denied, TimeSpan.FromSeconds(10));

        Assert.Equal(result, JsonSerializer.Deserialize<Result>(JsonSerializer.Serialize(result, options), options));
    }

    private static JsonSerializerOptions Options(string set) => set == "web" ? new(JsonSerializerDefaults.Web) : new();

    /// <summary>The result shape calls carry: a decision and a window.</summary>
    private sealed record Result(RateDecision Decision, TimeSpan Window);

    /// <summary>The same members without the converter: what the serializer's own contract makes of them.</summary>
    private readonly record struct Contract(bool Allowed, string? ReasonCode, string Quota, long Current, long Limit, long Remaining, TimeSpan ResetAfter, TimeSpan? RetryAfter)
    {
        public static Contract Of(RateDecision d) => new(d.Allowed, d.ReasonCode, d.Quota, d.Current, d.Limit, d.Remaining, d.ResetAfter, d.RetryAfter);
    }
}
