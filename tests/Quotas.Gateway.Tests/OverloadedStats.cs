using System.Reflection;
using Grains;
using Quotas.Contracts;

namespace Quotas.Gateway.Tests;

/// <summary>A tenant grain whose reads of its stats are refused as an overloaded grain refuses a call, while a test says so.</summary>
public class OverloadedStats : DispatchProxy
{
    private ITenantGrain _inner = null!;
    private Func<bool> _refuse = null!;

    /// <summary><paramref name="tenant"/>, whose <c>GetStats</c> fails with <see cref="GrainOverloadedException"/> whenever <paramref name="refuse"/> says so.</summary>
    public static ITenantGrain Wrap(ITenantGrain tenant, Func<bool> refuse)
    {
        var proxy = Create<ITenantGrain, OverloadedStats>();
        var overloaded = (OverloadedStats)(object)proxy;
        overloaded._inner = tenant;
        overloaded._refuse = refuse;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
        targetMethod!.Name == nameof(ITenantGrain.GetStats) && _refuse()
            ? Task.FromException<Core.Tenants.TenantStats>(new GrainOverloadedException("Grain tenant/acme has 2000 calls waiting (a refusal the test set)."))
            : targetMethod.Invoke(_inner, args);
}
