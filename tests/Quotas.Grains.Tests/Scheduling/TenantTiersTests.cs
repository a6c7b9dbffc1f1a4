using Grains;
using Grains.Testing;
using Quotas.Contracts;
using Quotas.Core.Tenants;
using Quotas.Grains.Scheduling;
using SchedulingTenantId = Quotas.Core.Scheduling.TenantId;

namespace Quotas.Grains.Tests.Scheduling;

public sealed class TenantTiersTests
{
    private static readonly SchedulingTenantId s_acme = new("acme");

    [Fact]
    public async Task A_tier_is_read_once_per_five_seconds_and_a_tenant_without_a_grain_has_none()
    {
        var time = new ManualTimeProvider();
        var tenant = new ScriptedTenant(() => TenantConfig.Create("acme", Tier.Premium));
        var tiers = new TenantTiers(new OneTenantFactory(tenant), time);

        Assert.Equal(new TierLookup(true, "premium", null), await tiers.OfAsync(s_acme));
        time.Advance(TimeSpan.FromSeconds(4.9));
        Assert.Equal(new TierLookup(true, "premium", null), await tiers.OfAsync(s_acme));
        Assert.Equal(1, tenant.Reads);

        tenant.Answer = () => throw new QuotaValidationException("unknown_tenant", "Tenant 'acme' does not exist.");
        time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.Equal(new TierLookup(true, null, null, Exists: false), await tiers.OfAsync(s_acme));
        Assert.Equal(2, tenant.Reads);
    }

    [Fact]
    public async Task A_tenant_without_a_grain_that_had_one_is_read_as_deleted()
    {
        var time = new ManualTimeProvider();
        var tenant = new ScriptedTenant(() => throw new QuotaValidationException("unknown_tenant", "Tenant 'acme' does not exist."))
        {
            DeletedAt = time.GetUtcNow(),
        };
        var tiers = new TenantTiers(new OneTenantFactory(tenant), time);

        Assert.Equal(new TierLookup(true, null, null, Exists: false, Deleted: true), await tiers.OfAsync(s_acme));
    }

    /// <summary>Whether a tenant without a grain was deleted is left unknown (not deleted) when that cannot be read.</summary>
    [Fact]
    public async Task A_tenant_without_a_grain_whose_deletion_cannot_be_read_is_not_read_as_deleted()
    {
        var time = new ManualTimeProvider();
        var tenant = new ScriptedTenant(() => throw new QuotaValidationException("unknown_tenant", "Tenant 'acme' does not exist."))
        {
            DeletedAtFailure = new SiloUnavailableException("The tenant's silo is gone."),
        };
        var tiers = new TenantTiers(new OneTenantFactory(tenant), time);

        Assert.Equal(new TierLookup(true, null, null, Exists: false, Deleted: false), await tiers.OfAsync(s_acme));
    }

    [Fact]
    public async Task A_tenant_that_cannot_be_read_leaves_its_tier_unknown_and_is_asked_again_at_once()
    {
        var tenant = new ScriptedTenant(() => throw new SiloUnavailableException("The tenant's silo is gone."));
        var tiers = new TenantTiers(new OneTenantFactory(tenant), new ManualTimeProvider());

        var failed = await tiers.OfAsync(s_acme);
        Assert.Equal((false, null), (failed.Known, failed.Tier));
        Assert.IsType<SiloUnavailableException>(failed.Failure);

        tenant.Answer = () => TenantConfig.Create("acme", Tier.Enterprise);
        Assert.Equal(new TierLookup(true, "enterprise", null), await tiers.OfAsync(s_acme));
        Assert.Equal(2, tenant.Reads);
    }

    [Fact]
    public async Task A_tenant_that_does_not_answer_within_two_seconds_leaves_its_tier_unknown()
    {
        var time = new ManualTimeProvider();
        var never = new TaskCompletionSource<TenantConfig>();
        var tenant = new ScriptedTenant(() => throw new InvalidOperationException("not asked")) { Pending = never.Task };
        var tiers = new TenantTiers(new OneTenantFactory(tenant), time);

        var lookup = tiers.OfAsync(s_acme);
        Assert.False(lookup.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(2));
        var result = await lookup;

        Assert.Equal((false, null), (result.Known, result.Tier));
        Assert.IsType<TimeoutException>(result.Failure);
    }

    /// <summary>A tenant grain whose GetConfig answers from a script, and GetLastDeletedAt with <see cref="DeletedAt"/>; any other method is not expected here.</summary>
    private sealed class ScriptedTenant(Func<TenantConfig> answer)
    {
        public Func<TenantConfig> Answer { get; set; } = answer;

        public int Reads { get; private set; }

        /// <summary>When set, GetConfig answers with this task instead of the script (e.g. one that never completes).</summary>
        public Task<TenantConfig>? Pending { get; init; }

        /// <summary>What GetLastDeletedAt answers: when the tenant was last deleted; null when it never was.</summary>
        public DateTimeOffset? DeletedAt { get; init; }

        /// <summary>When set, GetLastDeletedAt fails with this.</summary>
        public Exception? DeletedAtFailure { get; init; }

        public ITenantGrain AsGrain() => ScriptedGrain.Create<ITenantGrain>((method, _) => method.Name switch
        {
            nameof(ITenantGrain.GetConfig) => GetConfig(),
            nameof(ITenantGrain.GetLastDeletedAt) => DeletedAtFailure is { } failure ? Task.FromException<DateTimeOffset?>(failure) : Task.FromResult(DeletedAt),
            _ => throw ScriptedGrain.NotScripted(method),
        });

        public Task<TenantConfig> GetConfig()
        {
            Reads++;
            if (Pending is not null)
            {
                return Pending;
            }

            try
            {
                return Task.FromResult(Answer());
            }
            catch (Exception e)
            {
                return Task.FromException<TenantConfig>(e);
            }
        }
    }

    private sealed class OneTenantFactory(ScriptedTenant tenant) : IGrainFactory
    {
        public TGrainInterface GetGrain<TGrainInterface>(string primaryKey)
            where TGrainInterface : IGrainWithStringKey => (TGrainInterface)tenant.AsGrain();

        public TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey)
            where TGrainInterface : IGrainWithGuidKey => throw new NotSupportedException();

        public TGrainInterface GetGrain<TGrainInterface>(long primaryKey)
            where TGrainInterface : IGrainWithIntegerKey => throw new NotSupportedException();
    }
}
