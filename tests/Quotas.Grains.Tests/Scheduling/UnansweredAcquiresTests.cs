using Grains.Testing;
using Quotas.Contracts;
using Quotas.Core.Tenants;
using Quotas.Grains.Scheduling;
using SchedulingTenantId = Quotas.Core.Scheduling.TenantId;

namespace Quotas.Grains.Tests.Scheduling;

/// <summary>The sweep's taking back of tenant leases whose grant was never answered, against scripted tenants.</summary>
public sealed class UnansweredAcquiresTests
{
    private static readonly SchedulingTenantId s_down = new("down");
    private static readonly SchedulingTenantId s_up = new("up");

    /// <summary>
    /// A tenant that does not answer is asked once per sweep, not once per lease, and a sweep asks 16 at most: one
    /// tenant out of reach (each call waiting for its timeout) cannot hold up the rest of the sweep.
    /// </summary>
    [Fact]
    public async Task A_sweep_asks_a_batch_skips_a_tenant_that_did_not_answer_and_releases_what_was_granted()
    {
        var time = new ManualTimeProvider(DateTimeOffset.Parse("2026-12-06T12:00:00Z"));
        var unanswered = new UnansweredAcquires(time);
        for (var i = 0; i < 20; i++)
        {
            unanswered.Add(s_down, "workers", 1, TimeSpan.FromMinutes(2), $"job/p/{i}/1/workers");
            unanswered.Add(s_up, "workers", 1, TimeSpan.FromMinutes(2), $"job/p/{100 + i}/1/workers");
        }

        var down = new ScriptedTenant(answers: false);
        var up = new ScriptedTenant(answers: true);
        ITenantGrain TenantOf(SchedulingTenantId id) => (id == s_down ? down : up).AsGrain();

        await unanswered.UndoAsync(TenantOf);

        Assert.Equal(1, down.Acquires);
        Assert.Equal(15, up.Acquires);
        Assert.Equal(15, up.Releases);
        Assert.Equal(25, unanswered.Count);

        // Once such a lease would have run out on its own, there is nothing left to take back.
        time.Advance(TimeSpan.FromMinutes(2));
        await unanswered.UndoAsync(TenantOf);
        Assert.Equal(0, unanswered.Count);
        Assert.Equal(1, down.Acquires);
    }

    /// <summary>A tenant grain that grants every acquire (and counts the releases), or answers none.</summary>
    private sealed class ScriptedTenant(bool answers)
    {
        public int Acquires { get; private set; }

        public int Releases { get; private set; }

        public ITenantGrain AsGrain() => ScriptedGrain.Create<ITenantGrain>((method, args) => method.Name switch
        {
            nameof(ITenantGrain.Acquire) => Acquire((string)args[3]!),
            nameof(ITenantGrain.Release) => Release(),
            _ => throw ScriptedGrain.NotScripted(method),
        });

        public Task<AdmissionDecision> Acquire(string key)
        {
            Acquires++;
            return answers
                ? Task.FromResult<AdmissionDecision>(new AdmissionDecision.Allow("up:" + key, DateTimeOffset.MaxValue, 0))
                : Task.FromException<AdmissionDecision>(new TimeoutException("no answer"));
        }

        public Task<bool> Release()
        {
            Releases++;
            return Task.FromResult(true);
        }
    }
}
