using FsCheck.Xunit;
using Quotas.Core.Tenants;
using static Quotas.Core.Tests.Tenants.Times;

namespace Quotas.Core.Tests.Tenants;

/// <summary>The rate limiters against naive models over random (time step, cost) sequences.</summary>
public sealed class RatePropertyTests
{
    [Property(MaxTest = 300)]
    public void Sliding_window_matches_a_naive_model_and_never_exceeds_the_limit(int[] script) =>
        AssertSlidingWindowMatchesModel(script, buckets: 5);

    /// <summary>More buckets than the counter keeps inside its object: the same rules on its heap array.</summary>
    [Property(MaxTest = 300)]
    public void Sliding_window_with_many_buckets_matches_the_same_model(int[] script) =>
        AssertSlidingWindowMatchesModel(script, buckets: 24);

    private static void AssertSlidingWindowMatchesModel(int[] script, int buckets)
    {
        const long limit = 7;
        var bucket = TimeSpan.FromSeconds(1).Ticks;
        var rates = new RateBook([QuotaDefinition.SlidingWindow("calls", QuotaLimit.Hard(limit), TimeSpan.FromSeconds(buckets), buckets)]);
        var admitted = new List<(long Bucket, long Cost)>();
        var now = T0;

        foreach (var x in script)
        {
            var u = (uint)x;
            now = now.AddMilliseconds(u % (340 * buckets));
            var cost = 1 + ((u / 1700) % 4);
            var head = now.UtcTicks / bucket;
            var modelCount = admitted.Where(a => a.Bucket > head - buckets).Sum(a => a.Cost);

            var decision = rates.Check("calls", cost, now);

            Assert.Equal(modelCount + cost <= limit, decision.Allowed);
            if (decision.Allowed)
            {
                admitted.Add((head, cost));
            }
            else
            {
                // Honest retry-after: by then enough has left the window.
                var retryAt = now + decision.RetryAfter!.Value;
                var retryHead = retryAt.UtcTicks / bucket;
                Assert.True(admitted.Where(a => a.Bucket > retryHead - buckets).Sum(a => a.Cost) + cost <= limit);
            }

            // Reset: when the oldest counted unit leaves, i.e. when its bucket falls out of the window.
            var counted = admitted.Where(a => a.Bucket > head - buckets).ToList();
            var expectedReset = counted.Count == 0 ? TimeSpan.Zero : TimeSpan.FromTicks(((counted.Min(a => a.Bucket) + buckets) * bucket) - now.UtcTicks);
            Assert.Equal(expectedReset, decision.ResetAfter);
            Assert.True(counted.Sum(a => a.Cost) <= limit);
        }
    }

    /// <summary>
    /// A soft window's Retry-After is honest too: a hit refused over the ceiling, or with its burst run out, is admitted
    /// when retried after it, nothing else hit meanwhile. (Over the ceiling, the wait until it fitted under the ceiling
    /// was given, though the burst had run out by then, or a new one was not allowed yet.)
    /// </summary>
    [Property(MaxTest = 300)]
    public void A_soft_window_admits_a_refused_hit_retried_after_its_retry_after(int[] script)
    {
        var steps = script.Select(x => (uint)x).Select(u => (Step: TimeSpan.FromMilliseconds(u % 1500), Cost: 1 + (long)((u / 1500) % 5))).ToList();
        for (var refusedAt = 0; refusedAt < steps.Count; refusedAt++)
        {
            var (rates, now) = Replay(steps, refusedAt + 1, out var last);
            if (last.Allowed || last.RetryAfter is not { } retry)
            {
                continue;
            }

            var retried = rates.Check("calls", steps[refusedAt].Cost, now + retry);
            Assert.True(retried.Allowed, $"hit {refusedAt} (cost {steps[refusedAt].Cost}) refused again ({retried.ReasonCode}) after its Retry-After of {retry}");
        }

        static (RateBook Rates, DateTimeOffset Now) Replay(List<(TimeSpan Step, long Cost)> steps, int count, out RateDecision last)
        {
            var soft = QuotaLimit.Soft(4, 7, TimeSpan.FromSeconds(3), TimeSpan.Zero);
            var rates = new RateBook([QuotaDefinition.SlidingWindow("calls", soft, TimeSpan.FromSeconds(5), 5)]);
            var now = T0;
            last = default;
            for (var i = 0; i < count; i++)
            {
                now += steps[i].Step;
                last = rates.Check("calls", steps[i].Cost, now);
            }

            return (rates, now);
        }
    }

    [Property(MaxTest = 300)]
    public void Token_bucket_never_admits_more_than_burst_plus_refill(int[] script)
    {
        const long burst = 5;
        var rates = new RateBook([QuotaDefinition.TokenBucket("calls", 10, TimeSpan.FromSeconds(10), burst)]);
        var now = T0;
        long taken = 0;

        foreach (var x in script)
        {
            var u = (uint)x;
            now = now.AddMilliseconds(u % 900);
            var cost = 1 + ((u / 900) % 3);
            var decision = rates.Check("calls", cost, now);
            if (decision.Allowed)
            {
                taken += cost;
            }
            else
            {
                Assert.True(decision.RetryAfter > TimeSpan.Zero);
            }

            var refilled = (long)(now - T0).TotalSeconds; // one token a second
            Assert.True(taken <= burst + refilled, $"{taken} taken, at most {burst + refilled}");
        }
    }
}
