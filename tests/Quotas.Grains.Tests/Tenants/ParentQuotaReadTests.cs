using System.Reflection;
using Grains;
using Quotas.Contracts;
using Quotas.Core.Tenants;
using Quotas.Grains.Tenants;

namespace Quotas.Grains.Tests.Tenants;

/// <summary>How a child reads its parent's quotas when the parent runs on a silo of another release.</summary>
public sealed class ParentQuotaReadTests
{
    private static readonly IReadOnlyList<QuotaDefinition> s_quotas = [QuotaDefinition.Gauge("workers", QuotaLimit.Hard(4))];

    [Fact]
    public async Task A_parent_that_does_not_know_the_childs_call_is_read_the_older_way()
    {
        var parent = Parent.Answering(new UnknownGrainMethodException("This silo has no method 1234ABCD on Quotas.Contracts.ITenantGrain."));

        var quotas = await TenantGrain.ReadParentQuotasAsync(parent, "child");

        Assert.Same(s_quotas, quotas);
        Assert.Equal(["GetEffectiveQuotasForChild", "GetEffectiveQuotas"], Parent.Calls(parent));
    }

    [Fact]
    public async Task An_earlier_silos_plain_not_supported_answer_is_read_the_older_way_too()
    {
        var parent = Parent.Answering(new NotSupportedException("This silo has no method 1234ABCD on Quotas.Contracts.ITenantGrain."));

        Assert.Same(s_quotas, await TenantGrain.ReadParentQuotasAsync(parent, "child"));
    }

    [Fact]
    public async Task Any_other_failure_of_the_parent_is_the_callers_to_handle()
    {
        var parent = Parent.Answering(new QuotaValidationException(TenantErrors.UnknownTenant, "Tenant 'gone' does not exist."));

        var error = await Assert.ThrowsAsync<QuotaValidationException>(() => TenantGrain.ReadParentQuotasAsync(parent, "child"));

        Assert.Equal(TenantErrors.UnknownTenant, error.Code);
        Assert.Equal(["GetEffectiveQuotasForChild"], Parent.Calls(parent));
    }

    [Fact]
    public async Task A_parent_that_knows_the_call_is_read_once_and_remembers_the_child()
    {
        var parent = Parent.Answering(null);

        Assert.Same(s_quotas, await TenantGrain.ReadParentQuotasAsync(parent, "child"));
        Assert.Equal(["GetEffectiveQuotasForChild"], Parent.Calls(parent));
    }

    /// <summary>A parent grain reference whose registering call fails with a given exception (or succeeds when null).</summary>
    public class Parent : DispatchProxy
    {
        private readonly List<string> _calls = [];
        private Exception? _forChildFailure;

        public static ITenantGrain Answering(Exception? forChildFailure)
        {
            var parent = Create<ITenantGrain, Parent>();
            ((Parent)(object)parent)._forChildFailure = forChildFailure;
            return parent;
        }

        public static IReadOnlyList<string> Calls(ITenantGrain parent) => ((Parent)(object)parent)._calls;

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            _calls.Add(targetMethod!.Name);
            return targetMethod.Name switch
            {
                nameof(ITenantGrain.GetEffectiveQuotasForChild) when _forChildFailure is not null => Task.FromException<IReadOnlyList<QuotaDefinition>>(_forChildFailure),
                nameof(ITenantGrain.GetEffectiveQuotasForChild) or nameof(ITenantGrain.GetEffectiveQuotas) => Task.FromResult(s_quotas),
                _ => throw new InvalidOperationException($"The test parent does not answer {targetMethod.Name}."),
            };
        }
    }
}
