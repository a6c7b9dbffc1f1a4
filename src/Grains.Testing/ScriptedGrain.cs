using System.Reflection;

namespace Grains.Testing;

/// <summary>
/// A grain reference whose calls a test answers: every call goes to the handler given to <see cref="Create{TGrain}"/>,
/// with the method and its arguments, so a test scripts the few methods it needs (or passes the rest on to a real grain).
/// </summary>
public class ScriptedGrain : DispatchProxy
{
    private Func<MethodInfo, object?[], object?> _answer = null!;

    public static TGrain Create<TGrain>(Func<MethodInfo, object?[], object?> answer)
        where TGrain : class
    {
        var proxy = Create<TGrain, ScriptedGrain>();
        ((ScriptedGrain)(object)proxy)._answer = answer;
        return proxy;
    }

    /// <summary>What a script answers for a method it does not script.</summary>
    public static NotSupportedException NotScripted(MethodInfo method) => new($"{method.Name} is not scripted.");

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) => _answer(targetMethod!, args ?? []);
}
