using FsCheck.Xunit;
using Quotas.Core.Tenants;
using static Quotas.Core.Tests.Tenants.Tenants;
using static Quotas.Core.Tests.Tenants.Times;

namespace Quotas.Core.Tests.Tenants;

/// <summary>Random sequences of acquire, release, renew, expire and time advance, bad input included.</summary>
public sealed class LeasePropertyTests
{
    private static readonly string[] s_quotas = [QuotaNames.CpuMillicores, QuotaNames.MemoryMb];

    [Property(MaxTest = 300)]
    public void Gauges_stay_within_limits_and_equal_the_sum_of_live_leases(int[] script)
    {
        var tenant = Basic(
            "prop",
            QuotaDefinition.Gauge(QuotaNames.CpuMillicores, QuotaLimit.Soft(10, 15, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(10))),
            QuotaDefinition.Gauge(QuotaNames.MemoryMb, QuotaLimit.Hard(8)));
        var now = T0;
        var issued = new List<string>();

        foreach (var x in script)
        {
            var u = (uint)x;
            var op = u % 7;
            var arg = u / 7;
            var quota = s_quotas[arg / 20 % 2];
            var before = Json(tenant);
            try
            {
                switch (op)
                {
                    case 0:
                    case 1:
                        var key = (arg / 40 % 5) is var k && k == 0 ? null : $"k{k}";
                        var decision = tenant.Acquire(quota, (arg % 20) - 2, TimeSpan.FromSeconds(1 + (arg % 60)), key, now);
                        if (decision is AdmissionDecision.Allow { LeaseId: { } id })
                        {
                            issued.Add(id);
                        }

                        break;
                    case 2:
                    case 6:
                        var lease = issued.Count == 0 ? "none:1" : issued[(int)(arg % (uint)issued.Count)];
                        var first = tenant.Release(lease, now);
                        var afterFirst = Json(tenant);
                        Assert.False(tenant.Release(lease, now));
                        Assert.Equal(afterFirst, Json(tenant));
                        _ = first;
                        break;
                    case 3:
                        if (issued.Count > 0)
                        {
                            tenant.Renew(issued[(int)(arg % (uint)issued.Count)], TimeSpan.FromSeconds(1 + (arg % 60)), now);
                        }

                        break;
                    case 4:
                        tenant.ExpireDue(now);
                        break;
                    default:
                        now = now.AddSeconds(arg % 20);
                        break;
                }
            }
            catch (QuotaValidationException)
            {
                Assert.Equal(before, Json(tenant));
            }

            AssertInvariants(tenant);
        }
    }

    private static void AssertInvariants(TenantQuotas tenant)
    {
        var leases = tenant.Gauges.Leases();
        foreach (var definition in tenant.Gauges.Quotas)
        {
            var usage = tenant.Gauges.Usage(definition.Name);
            Assert.True(usage >= 0);
            Assert.Equal(leases.Where(l => l.Quota == definition.Name).Sum(l => l.Amount), usage);
            if (!definition.Limit.IsUnlimited)
            {
                Assert.True(usage <= definition.Limit.Max, $"{definition.Name} at {usage} above {definition.Limit.Max}");
            }
        }
    }
}
