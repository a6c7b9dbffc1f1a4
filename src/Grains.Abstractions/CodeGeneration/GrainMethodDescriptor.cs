namespace Grains.CodeGeneration;

/// <summary>Static facts about one grain interface method, emitted once per method by the source generator.</summary>
public sealed class GrainMethodDescriptor
{
    public GrainMethodDescriptor(Type interfaceType, string methodName, int methodId, GrainMethodOptions options, TimeSpan? responseTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(interfaceType);
        ArgumentException.ThrowIfNullOrEmpty(methodName);
        InterfaceType = interfaceType;
        MethodName = methodName;
        MethodId = methodId;
        Options = options;
        ResponseTimeout = responseTimeout;
        DisplayName = $"{interfaceType.Name}.{methodName}";
    }

    public Type InterfaceType { get; }

    public string MethodName { get; }

    /// <summary>Index of the method in its interface's method table (stable for a given contract version).</summary>
    public int MethodId { get; }

    public GrainMethodOptions Options { get; }

    public TimeSpan? ResponseTimeout { get; }

    public string DisplayName { get; }

    public bool IsOneWay => (Options & GrainMethodOptions.OneWay) != 0;

    public bool AlwaysInterleave => (Options & GrainMethodOptions.AlwaysInterleave) != 0;

    public override string ToString() => DisplayName;
}

/// <summary>Per-method call semantics declared by attributes on the grain interface.</summary>
[Flags]
public enum GrainMethodOptions
{
    None = 0,
    OneWay = 1,
    AlwaysInterleave = 2,
}
